"""What the report reads from a history: client ops paired, partition intervals, time span.

The history format is sim/workloads/base.py's: invocations and completions share a process,
a completion follows its invocation, times are ns since the main phase began, and the nemesis
records each start-partition and stop-partition twice (asked, then done with the grudge).
"""

from sim.history import History

NS = 1e9


class Op:
    """A client op as the report draws it: invoked at `start` (s), completed at `end` (None if
    it never did); a view over one sim.history.Op."""

    __slots__ = ("f", "type", "process", "start", "end", "invoke", "complete")

    def __init__(self, op):
        self.invoke, self.complete = op.invocation, op.completion
        self.f = op.f
        self.process = op.process
        self.type = op.type or "pending"
        self.start = (op.invoke_time or 0) / NS
        self.end = (op.time or 0) / NS if op.completion else None

    @property
    def latency_ms(self):
        return None if self.end is None else (self.end - self.start) * 1000.0


def pair_ops(history):
    """Client ops in invocation order, each with its completion (or None), paired once by
    sim.history; a completion nobody invoked is left out."""
    return [Op(op) for op in History(history).ops if op.invocation is not None]


class Partition:
    __slots__ = ("start", "end", "spec", "grudge")

    def __init__(self, start, spec):
        self.start, self.end, self.spec, self.grudge = start, None, spec, {}

    def describe(self):
        cut = "; ".join(f"{dest} drops {', '.join(srcs)}"
                        for dest, srcs in sorted(self.grudge.items()) if srcs)
        end = f"{self.end:.2f}" if self.end is not None else "the end"
        return f"partition {self.spec or ''} {self.start:.2f}-{end} s: {cut or 'no cut'}"


def partitions(history, end):
    """Partition intervals from the nemesis ops; one still open at the end runs to `end`."""
    out, current = [], None
    for entry in history:
        if entry.get("process") != "nemesis":
            continue
        t = entry.get("time", 0) / NS
        f, value = entry.get("f"), entry.get("value")
        if f == "start-partition":
            if current is None:
                current = Partition(t, value if isinstance(value, str) else None)
                out.append(current)
            if isinstance(value, list) and len(value) == 2 and isinstance(value[1], dict):
                current.grudge = value[1]
        elif f == "stop-partition" and current is not None:
            current.end = t
            current = None
    for p in out:
        if p.end is None:
            p.end = max(end, p.start)
    return out


def time_span(history, results):
    """(0, end) in seconds: the run's duration, or the last history time if later."""
    last = max((e.get("time", 0) for e in history), default=0) / NS
    return 0.0, max(last, float(results.get("duration") or 0.0), 1e-3)
