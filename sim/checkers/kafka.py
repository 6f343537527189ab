"""jepsen.tests.kafka's checker, with assign as the only subscription method. Per key, a log of
offset -> messages is built from ok sends (and info sends proven visible) and from every
poll; "index" below is a message's position in that log with empty offsets removed.
  inconsistent-offsets   two different messages at one offset
  duplicate              one message at more than one offset
  lost-write             an acknowledged message never polled although a message at a later
                         index of its key was polled
  unseen                 an acknowledged message that no poll ever returned (by the end of
                         the final polls)
  poll-skip              a process's poll started past the index right after the one its
                         previous poll of that key ended at (reset for keys an assign drops)
  nonmonotonic-poll      ... started at or before it
  int-poll-skip / int-nonmonotonic-poll   the same between neighbours inside one poll
  nonmonotonic-send      a process's send landed at or before its previous send to that key
  G1a                    a poll returned a message whose send failed
  phantom-read           a poll returned a message no client sent (Jepsen's checker throws)
Every type found makes the run invalid. The result gives a count and up to 8 examples each.
Not checked (Jepsen derives them from Elle cycle search over write-read and real-time order):
polls that observe a message before its send was invoked.
"""

import json
from collections import defaultdict

EXAMPLES = 8


def freeze(value):
    """A hashable stand-in for a message that keeps 1, 1.0, true and "1" apart."""
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    return ("json", json.dumps(value, sort_keys=True))


def op_writes(op):
    """{key: [(offset or None, message), ...]} sent by a completed op."""
    out = defaultdict(list)
    if op.f == "send":
        for mop in op.value or []:
            if mop[0] == "send":
                v = mop[2]
                pair = (v[0], v[1]) if isinstance(v, list) else (None, v)
                out[mop[1]].append(pair)
    return out


def op_reads(op):
    """{key: [(offset, message), ...]} returned by a completed poll."""
    out = defaultdict(list)
    if op.f == "poll":
        for mop in op.value or []:
            if mop[0] == "poll" and len(mop) > 1 and isinstance(mop[1], dict):
                for k, pairs in mop[1].items():
                    out[k].extend((p[0], p[1]) for p in pairs)
    return out


class KeyOrder:
    """One key's log: offset -> set of messages, and the dense index of each message."""

    def __init__(self):
        self.log = defaultdict(set)

    def add(self, offset, msg):
        if offset is not None:
            self.log[offset].add(freeze(msg))

    def finish(self):
        self.offsets = sorted(self.log)
        self.by_index = [min(self.log[o], key=repr) for o in self.offsets]
        self.first_index, self.last_index, self.index = {}, {}, {}
        for i, o in enumerate(self.offsets):
            for v in self.log[o]:
                self.first_index.setdefault(v, i)
                self.last_index[v] = i
        self.index = {v: i for i, v in enumerate(self.by_index)}

    def delta(self, v1, v2):
        i1, i2 = self.index.get(freeze(v1)), self.index.get(freeze(v2))
        return (i2 - i1) if i1 is not None and i2 is not None else 1


class Analysis:
    """Indexes over the completed client ops of one history."""

    def __init__(self, history):
        self.ops = history.completed
        self.ok_reads = defaultdict(set)      # key -> messages returned by ok polls
        self.writer = defaultdict(dict)       # key -> message -> completion that sent it
        self.failed = defaultdict(set)        # key -> messages whose send failed
        for op in self.ops:
            for k, pairs in op_writes(op).items():
                for _, v in pairs:
                    self.writer[k][freeze(v)] = op
                    if op.type == "fail":
                        self.failed[k].add(freeze(v))
            if op.type == "ok":
                for k, pairs in op_reads(op).items():
                    self.ok_reads[k].update(freeze(v) for _, v in pairs)
        self.orders = defaultdict(KeyOrder)
        for op in self.ops:
            if self.visible(op):
                for k, pairs in op_writes(op).items():
                    for o, v in pairs:
                        self.orders[k].add(o, v)
            for k, pairs in op_reads(op).items():
                for o, v in pairs:
                    self.orders[k].add(o, v)
        for order in self.orders.values():
            order.finish()

    def visible(self, op):
        """Jepsen's must-have-committed?: ok, or info with one of its messages polled."""
        if op.type == "ok":
            return True
        return op.type == "info" and any(
            freeze(v) in self.ok_reads[k] for k, pairs in op_writes(op).items() for _, v in pairs)


def ref(op):
    """A short pointer to an op's completion for error examples."""
    return {"index": op.index, "process": op.process, "type": op.type, "f": op.f,
            "time": op.time}


def show(v):
    return v[1] if isinstance(v, tuple) else v


def inconsistent_offsets(a):
    out = []
    for k, order in a.orders.items():
        for i, o in enumerate(order.offsets):
            if len(order.log[o]) > 1:
                out.append({"key": k, "offset": o, "index": i,
                            "values": sorted((show(v) for v in order.log[o]), key=repr)})
    return out


def duplicates(a):
    out = []
    for k, order in a.orders.items():
        where = defaultdict(list)
        for o in order.offsets:
            for v in order.log[o]:
                where[v].append(o)
        out += [{"key": k, "value": show(v), "count": len(os_), "offsets": os_}
                for v, os_ in where.items() if len(os_) > 1]
    return out


def lost_writes(a):
    """Messages at or below the highest index some ok poll reached that no ok poll returned."""
    out = []
    for k, read in a.ok_reads.items():
        order = a.orders.get(k)
        if order is None:
            continue
        bound = max((order.first_index[v] for v in read if v in order.first_index), default=-1)
        for v, last in order.last_index.items():
            writer = a.writer[k].get(v)
            if last <= bound and v not in read and writer is not None and a.visible(writer):
                out.append({"key": k, "value": show(v), "index": order.first_index[v],
                            "max_read_index": bound, "writer": ref(writer)})
    return sorted(out, key=lambda e: (e["key"], e["index"]))


def unseen(a):
    """Acknowledged messages no ok poll ever returned: {key: count}, and some of them."""
    missing = defaultdict(list)
    for op in a.ops:
        if op.type == "ok":
            for k, pairs in op_writes(op).items():
                missing[k] += [v for _, v in pairs if freeze(v) not in a.ok_reads[k]]
    missing = {k: vs for k, vs in missing.items() if vs}
    if not missing:
        return None
    return {"count": sum(len(vs) for vs in missing.values()),
            "unseen": {k: len(vs) for k, vs in sorted(missing.items())},
            "messages": {k: vs[:32] for k, vs in sorted(missing.items())}}


def _skip_or_nonmonotonic(order, k, v1, v2, ops, out):
    d = order.delta(v1, v2) if order else 1
    if d > 1:
        i1 = order.index[freeze(v1)]
        skipped = [show(v) for v in order.by_index[i1 + 1:i1 + d]]
        out["skip"].append({"key": k, "values": [v1, v2], "delta": d,
                            "skipped": skipped[:EXAMPLES], "ops": ops})
    elif d < 1:
        out["nonmonotonic"].append({"key": k, "values": [v1, v2], "delta": d, "ops": ops})


def internal_polls(a):
    """Skips and inversions between neighbouring messages of one key inside one poll."""
    out = {"skip": [], "nonmonotonic": []}
    for op in a.ops:
        for k, pairs in op_reads(op).items():
            for (_, v1), (_, v2) in zip(pairs, pairs[1:]):
                _skip_or_nonmonotonic(a.orders.get(k), k, v1, v2, [ref(op)], out)
    return out


def by_process(ops):
    groups = defaultdict(list)
    for op in ops:
        groups[op.process].append(op)
    return groups.values()


def external_polls(a):
    """Per process: where each poll of a key starts against where its previous poll ended."""
    out = {"skip": [], "nonmonotonic": []}
    for ops in by_process(a.ops):
        last = {}                            # key -> (op, last message read)
        for op in ops:
            if op.f == "assign" and op.type in ("ok", "info"):
                keep = set(op.value or [])
                last = {k: x for k, x in last.items() if k in keep}
            elif op.f == "poll" and op.type == "ok":
                for k, pairs in op_reads(op).items():
                    if not pairs:                # Jepsen: an empty read forgets the key
                        last.pop(k, None)
                        continue
                    if k in last:
                        prev, v1 = last[k]
                        _skip_or_nonmonotonic(a.orders.get(k), k, v1, pairs[0][1],
                                              [ref(prev), ref(op)], out)
                    last[k] = (op, pairs[-1][1])
    return out


def nonmonotonic_sends(a):
    """Per process: a send to a key that lands at or before the process's previous one."""
    out = []
    for ops in by_process(a.ops):
        last = {}
        for op in ops:
            if op.type not in ("ok", "info"):
                continue
            if op.f == "assign":
                keep = set(op.value or [])
                last = {k: x for k, x in last.items() if k in keep}
            elif op.f == "send":
                for k, pairs in op_writes(op).items():
                    if k in last:
                        prev, v1 = last[k]
                        order = a.orders.get(k)
                        d = order.delta(v1, pairs[0][1]) if order else 1
                        if d < 1:
                            out.append({"key": k, "values": [v1, pairs[0][1]], "delta": d,
                                        "ops": [ref(prev), ref(op)]})
                    last[k] = (op, pairs[-1][1])
    return out


def aborted_reads(a):
    """G1a: an ok poll returned a message whose send definitely failed."""
    return [{"key": k, "value": show(v), "reader": ref(op)}
            for op in a.ops if op.type == "ok"
            for k, pairs in op_reads(op).items()
            for _, v in pairs if freeze(v) in a.failed[k]]


def phantom_reads(a):
    """A poll returned a message no client ever sent to that key."""
    return [{"key": k, "offset": o, "value": v, "reader": ref(op)}
            for op in a.ops
            for k, pairs in op_reads(op).items()
            for o, v in pairs if freeze(v) not in a.writer[k]]


def check(history):
    """Jepsen's kafka checker over a paired kafka history -> a JSON-able result map."""
    a = Analysis(history)
    ext, inner = external_polls(a), internal_polls(a)
    errors = {
        "duplicate": duplicates(a),
        "inconsistent-offsets": inconsistent_offsets(a),
        "lost-write": lost_writes(a),
        "poll-skip": ext["skip"],
        "nonmonotonic-poll": ext["nonmonotonic"],
        "int-poll-skip": inner["skip"],
        "int-nonmonotonic-poll": inner["nonmonotonic"],
        "nonmonotonic-send": nonmonotonic_sends(a),
        "G1a": aborted_reads(a),
        "phantom-read": phantom_reads(a),
    }
    result = {name: {"count": len(errs), "errors": errs[:EXAMPLES]}
              for name, errs in errors.items() if errs}
    missing = unseen(a)
    if missing:
        result["unseen"] = missing
    types = sorted(result)
    result.update({
        "valid": not types,
        "errors": [f"{t}: {result[t]['count']}" for t in types],
        "error_types": types,
        "bad_error_types": types,
        "sent_ok": sum(1 for op in a.ops if op.type == "ok" and op.f == "send"),
        "keys": len(a.orders),
        "info_causes": sorted({json.dumps(op.error) for op in a.ops
                               if op.type == "info" and op.f in ("send", "poll", "assign")}),
    })
    return result
