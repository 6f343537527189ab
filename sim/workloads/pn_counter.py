"""pn-counter: `add {delta}` -> `add_ok`; `read` -> `read_ok {value}` (a JSON int, strictly).

Generator as Maelstrom's (pn_counter.clj): a 50/50 mix of adds and reads, each add's delta
uniform in -5..4 (`rand-int 10` minus 5); after the recovery wait one final read per worker,
flagged final. The client has no error translation: any error or timeout leaves the op
indeterminate (info), reads included. Checker: sim.checkers.counter, which judges only the
final reads. g-counter is this workload with negative adds filtered out of the generator.
"""

from sim.checkers import counter
from sim.workloads.base import Workload

ADD_REPLY = {}
READ_REPLY = {"value": int}


class PNCounter(Workload):
    name = "pn-counter"
    reopen_after_info = True
    definite_errors = False
    final_phase = True

    def next_op(self, process, now):
        if self.rng.random() < 0.5:
            return {"f": "add", "value": self.rng.randrange(10) - 5}
        return {"f": "read", "value": None}

    async def invoke(self, client, op, process):
        if op["f"] == "add":
            await client.call({"type": "add", "delta": op["value"]}, "add_ok", ADD_REPLY)
            return {"type": "ok", "value": op["value"]}
        reply = await client.call({"type": "read"}, "read_ok", READ_REPLY)
        return {"type": "ok", "value": reply["value"]}

    def final_ops(self, process):
        return [{"f": "read", "value": None, "final": True}]

    @staticmethod
    def check(history, opts, probe=None):
        return counter.check(history)


WORKLOAD = PNCounter
