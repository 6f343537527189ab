"""echo: `echo {echo}` -> `echo_ok {echo}`. Checker: sim.checkers.echo (Maelstrom's)."""

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


WORKLOAD = Echo
