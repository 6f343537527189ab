"""g-counter: `add {delta}` -> `add_ok`; `read` -> `read_ok {value}`.

Generator as Maelstrom's: a 50/50 mix of adds with delta uniform in -5..4 and reads, negative
adds dropped (so adds are a third of the ops, deltas 0..4); then one final read per worker.
Maelstrom's counter client has no error translation, so any error of an op is indeterminate
(info). Checker: sim.checkers.counter (Maelstrom's pn-counter checker).
"""

from sim.checkers import counter
from sim.workloads.base import ClientError, Workload

ADD_REPLY = {}
READ_REPLY = {"value": int}


class GCounter(Workload):
    name = "g-counter"
    reopen_after_info = True
    final_phase = True

    def next_op(self, process, now):
        while True:
            if self.rng.random() < 0.5:
                delta = self.rng.randrange(10) - 5
                if delta >= 0:
                    return {"f": "add", "value": delta}
            else:
                return {"f": "read", "value": None}

    async def invoke(self, client, op, process):
        try:
            if op["f"] == "add":
                await client.call({"type": "add", "delta": op["value"]}, "add_ok", ADD_REPLY)
                return {"type": "ok", "value": op["value"]}
            reply = await client.call({"type": "read"}, "read_ok", READ_REPLY)
            return {"type": "ok", "value": reply["value"]}
        except ClientError as e:
            return {"type": "info", "value": op["value"], "error": [e.code, e.text]}

    def final_ops(self, process):
        return [{"f": "read", "value": None, "final": True}]

    @staticmethod
    def check(history, opts, probe=None):
        return counter.check(history)


WORKLOAD = GCounter
