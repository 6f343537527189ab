"""echo: `echo {echo}` -> `echo_ok {echo}`.

Checker as Maelstrom's: every completion must carry the request's echo, so an op that failed
or timed out (no echo_ok at all) is an error too."""

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

    def check(self, history, ctx):
        sent = {}
        errors = []
        for op in history:
            if op.get("process") == "nemesis" or op["f"] != "echo":
                continue
            if op["type"] == "invoke":
                sent[op["process"]] = op["value"]
            elif op["type"] != "ok":
                errors.append({"process": op["process"], "sent": sent.get(op["process"]),
                               "received": None, "type": op["type"]})
            elif op["value"] != sent.get(op["process"]):
                errors.append({"process": op["process"], "sent": sent.get(op["process"]),
                               "received": op["value"]})
        return {"valid": not errors, "errors": errors[:20], "error_count": len(errors)}


WORKLOAD = Echo
