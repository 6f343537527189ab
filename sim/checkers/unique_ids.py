"""unique-ids, as Jepsen's checker: every acknowledged id distinct. Reports attempted,
acknowledged, duplicated (id -> count, the most repeated first) and the range of ids."""

import json


def check(history):
    attempted = sum(1 for op in history.ops if op.f == "generate")
    counts, samples = {}, {}
    for op in history.completed:
        if op.f == "generate" and op.type == "ok":
            key = json.dumps(op.value, sort_keys=True)
            counts[key] = counts.get(key, 0) + 1
            samples.setdefault(key, op.value)
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
