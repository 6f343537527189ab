"""g-set: `add {element}` -> `add_ok`; `read` -> `read_ok {value}`, a list of anything (null
reads as the empty set).

Generator as Maelstrom's (g_set.clj): a 50/50 mix of adds and reads; the elements are the ints
0, 1, 2, ... in order, each added once. After the recovery wait every worker does one final
read (Maelstrom sets no `final?` flag on it; the simulator's history marks every final-phase
op). The client has no error translation: any error or timeout leaves the op indeterminate
(info), reads included.

Checker: sim.checkers.set_full (Jepsen's set-full, with add as the add).
"""

from sim.checkers import set_full
from sim.schema import Nullable
from sim.workloads.base import Workload

ADD_REPLY = {}
READ_REPLY = {"value": Nullable([object])}


class GSet(Workload):
    name = "g-set"
    reopen_after_info = True
    definite_errors = False
    final_phase = True
    summary_fields = ("stable_latencies",)

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.next_element = 0

    def next_op(self, process, now):
        if self.rng.random() < 0.5:
            element, self.next_element = self.next_element, self.next_element + 1
            return {"f": "add", "value": element}
        return {"f": "read", "value": None}

    async def invoke(self, client, op, process):
        if op["f"] == "add":
            await client.call({"type": "add", "element": op["value"]}, "add_ok", ADD_REPLY)
            return {"type": "ok", "value": op["value"]}
        reply = await client.call({"type": "read"}, "read_ok", READ_REPLY)
        return {"type": "ok", "value": reply["value"]}

    def final_ops(self, process):
        return [{"f": "read", "value": None}]

    @staticmethod
    def check(history, opts, probe=None):
        return set_full.check(history, add_f="add")


WORKLOAD = GSet
