"""unique-ids: `generate` -> `generate_ok {id}`; every acknowledged id must be distinct.

Ids may be any JSON value. The client is reusable (Maelstrom's), so an info op keeps its client.
Checker as Jepsen's unique-ids: attempted, acknowledged, duplicated (id -> count) and range.
"""

import json

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

    def check(self, history, ctx):
        attempted = 0
        counts = {}
        samples = {}
        for op in history:
            if op.get("process") == "nemesis" or op["f"] != "generate":
                continue
            if op["type"] == "invoke":
                attempted += 1
            elif op["type"] == "ok":
                key = json.dumps(op["value"], sort_keys=True)
                counts[key] = counts.get(key, 0) + 1
                samples.setdefault(key, op["value"])
        dups = {k: n for k, n in counts.items() if n > 1}
        worst = sorted(dups.items(), key=lambda kv: -kv[1])[:48]
        return {
            "valid": not dups,
            "attempted_count": attempted,
            "acknowledged_count": sum(counts.values()),
            "duplicated_count": len(dups),
            "duplicated": {k: n for k, n in worst},
            "range": _range(list(samples.values())),
        }


def _range(values):
    try:
        return [min(values), max(values)] if values else None
    except TypeError:                   # mixed types: no order
        return None


WORKLOAD = UniqueIds
