"""Maelstrom's pn-counter checker: each final ok read must lie in the acceptable set, the sum
of ok adds plus any subset of info adds (kept as merged integer ranges). g-counter is the same
workload with negative deltas filtered out, and uses this checker unchanged."""


def check(history):
    definite = 0
    maybe = []
    for op in history.completed:
        if op.f != "add":
            continue
        if op.type == "ok":
            definite += op.value
        elif op.type == "info":
            maybe.append(op.value)
    acceptable = acceptable_ranges(definite, maybe)
    reads = [op.value for op in history.completed
             if op.final and op.type == "ok" and op.f == "read"]
    errors = [r for r in reads if not in_ranges(r, acceptable)]
    return {"valid": not errors, "final_reads": reads, "acceptable": acceptable,
            "errors": errors}


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
