"""A run's history, paired: each client operation as one record holding its invocation and its
completion, built once per run and handed to every checker.

The raw history is Jepsen-shaped (see sim.workloads.base): op dicts in real-time order, where a
completion follows its invocation and shares its process. A process has at most one op in
flight, so pairing is by process, in order. Nemesis ops are kept apart, unpaired.

Three views of the same ops: `ops` in invocation order, `completed` (those with a completion)
in completion order, and `events`, the real-time sequence of (op, invoked) pairs: (op, True)
where the op was invoked, (op, False) where it completed. An op still in flight at the end has
no completion (type None). A completion with no invocation before it stands in for its own
invocation: it has no invocation event, and `invocation` is None.
"""


class Op:
    """One client operation. From its invocation: process, f, final, invoke_index, invoke_time,
    invoke_value. From its completion: type ("ok", "fail" or "info"; None while pending),
    value, index, time, error; while pending these repeat the invocation's."""

    __slots__ = ("invocation", "completion", "process", "f", "final", "invoke_index",
                 "invoke_time", "invoke_value", "type", "value", "index", "time", "error")

    def __init__(self, invocation):
        self.invocation = invocation
        self.completion = None
        self.process = invocation.get("process")
        self.f = invocation.get("f")
        self.final = bool(invocation.get("final"))
        self.invoke_index = self.index = invocation.get("index")
        self.invoke_time = self.time = invocation.get("time")
        self.invoke_value = self.value = invocation.get("value")
        self.type = None
        self.error = None

    def complete(self, completion):
        self.completion = completion
        self.type = completion["type"]
        self.value = completion.get("value")
        self.index = completion.get("index")
        self.time = completion.get("time")
        self.error = completion.get("error")


def _orphan(completion):
    """An Op for a completion nobody invoked: it stands in for its own invocation."""
    op = Op(completion)
    op.invocation = None
    op.invoke_value = None
    op.complete(completion)
    return op


class History:
    """The paired history: ops, completed, events (see the module docstring) and nemesis."""

    def __init__(self, raw=()):
        self.ops = []
        self.completed = []
        self.events = []
        self.nemesis = []
        in_flight = {}
        for position, entry in enumerate(raw):
            if "index" not in entry:
                entry = dict(entry, index=position)
            if entry.get("process") == "nemesis":
                self.nemesis.append(entry)
            elif entry["type"] == "invoke":
                op = Op(entry)
                in_flight[op.process] = op
                self.ops.append(op)
                self.events.append((op, True))
            else:
                op = in_flight.pop(entry.get("process"), None)
                if op is None:
                    op = _orphan(entry)
                    self.ops.append(op)
                else:
                    op.complete(entry)
                self.completed.append(op)
                self.events.append((op, False))

    def pending(self):
        """Ops never completed, in invocation order."""
        return [op for op in self.ops if op.completion is None]
