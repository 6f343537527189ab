"""g-counter: `add {delta}` -> `add_ok`; `read` -> `read_ok {value}`.

Generator as Maelstrom's: a 50/50 mix of adds with delta uniform in -5..4 and reads, negative
adds dropped (so adds are a third of the ops, deltas 0..4); then one final read per worker.
Maelstrom's counter client has no error translation, so any error of an op is indeterminate
(info). Checker as Maelstrom's pn-counter: each final ok read must lie in the acceptable set,
the sum of ok adds plus any subset of info adds (kept as merged integer ranges).
"""

from sim.workloads.base import ClientError, Workload

ADD_REPLY = {}
READ_REPLY = {"value": int}


class GCounter(Workload):
    name = "g-counter"
    reopen_after_info = True

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

    def check(self, history, ctx):
        definite = 0
        maybe = []
        for op in history:
            if op.get("process") == "nemesis" or op["f"] != "add":
                continue
            if op["type"] == "ok":
                definite += op["value"]
            elif op["type"] == "info":
                maybe.append(op["value"])
        acceptable = acceptable_ranges(definite, maybe)
        reads = [op["value"] for op in history
                 if op.get("final") and op["type"] == "ok" and op["f"] == "read"]
        errors = [r for r in reads if not in_ranges(r, acceptable)]
        return {"valid": not errors, "final_reads": reads,
                "acceptable": acceptable, "errors": errors}


def acceptable_ranges(definite, maybe):
    """Merged inclusive [lo, hi] ranges of definite + any subset of `maybe`."""
    ranges = [[definite, definite]]
    for delta in maybe:
        ranges = merge(ranges + [[lo + delta, hi + delta] for lo, hi in ranges])
    return ranges


def merge(ranges):
    out = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


def in_ranges(value, ranges):
    return isinstance(value, int) and any(lo <= value <= hi for lo, hi in ranges)


WORKLOAD = GCounter
