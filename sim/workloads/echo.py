"""echo: `echo {echo}` -> `echo_ok {echo}`. Checker: sim.checkers.echo (Maelstrom's).

The history records the echo as an ok op's value; Maelstrom's records the whole reply body
({:type "echo_ok", :echo ..., :msg_id ..., :in_reply_to ...}), which from_jepsen cuts down."""

from sim.checkers import echo as echo_checker
from sim.workloads.base import Workload

REPLY = {"echo": object}


class Echo(Workload):
    name = "echo"
    reopen_after_info = True

    def next_op(self, process, now):
        return {"f": "echo", "value": f"Please echo {self.rng.randrange(128)}"}

    async def invoke(self, client, op, process):
        reply = await client.call({"type": "echo", "echo": op["value"]}, "echo_ok", REPLY)
        return {"type": "ok", "value": reply["echo"]}

    @staticmethod
    def check(history, opts, probe=None):
        return echo_checker.check(history)

    @staticmethod
    def from_jepsen(op):
        if op["type"] == "ok" and isinstance(op.get("value"), dict):
            return dict(op, value=op["value"].get("echo"))
        return op


WORKLOAD = Echo
