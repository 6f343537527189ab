"""unique-ids: `generate` -> `generate_ok {id}`; ids may be any JSON value.

The client is reusable (Maelstrom's), so an info op keeps its client.
Checker: sim.checkers.unique_ids (Jepsen's).
"""

from sim.checkers import unique_ids as unique_ids_checker
from sim.workloads.base import Workload

REPLY = {"id": object}


class UniqueIds(Workload):
    name = "unique-ids"
    reopen_after_info = False

    def next_op(self, process, now):
        return {"f": "generate", "value": None}

    async def invoke(self, client, op, process):
        reply = await client.call({"type": "generate"}, "generate_ok", REPLY)
        return {"type": "ok", "value": reply["id"]}

    @staticmethod
    def check(history, opts, probe=None):
        return unique_ids_checker.check(history)


WORKLOAD = UniqueIds
