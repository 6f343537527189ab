"""Transactions as Elle sees them, and the anomalies every datatype finds the same way.

A transaction is an op of f "txn" whose value is a list of micro-ops [f, k, v]: "r" a read,
anything else a write ("w" sets a register, "append" adds to a list). Its external reads are the
first access of each key when that is a read; its external writes the last write of each key.
Written values are unique per key, so a value names the transaction that wrote it.
"""

from collections import defaultdict


class Txn:
    """One transaction: its completion type, micro-ops, process and history positions."""

    __slots__ = ("id", "type", "mops", "process", "invoke_value", "invoked")

    def __init__(self, id, type, mops, process, invoke_value, invoked):
        self.id, self.type, self.mops = id, type, mops
        self.process, self.invoke_value, self.invoked = process, invoke_value, invoked

    def describe(self):
        return {"index": self.id, "type": self.type, "process": self.process, "value": self.mops}


def history_txns(history):
    """Transactions of a paired history keyed by completion index: completed ones (ok, info,
    fail) in completion order, then those never completed, as info."""
    txns = []
    for op in history.completed:
        if op.f != "txn":
            continue
        mops = op.value if op.type == "ok" else (op.value or op.invoke_value)
        txns.append(Txn(op.index, op.type, mops or [], op.process, op.invoke_value,
                        op.invoke_index))
    for op in history.pending():
        if op.f == "txn":
            txns.append(Txn(op.index, "info", op.value, op.process, op.value, op.index))
    return txns


def ext_reads(mops):
    """{k: v} for reads of keys the transaction had not written or read before."""
    seen, reads = set(), {}
    for f, k, v in mops:
        if k not in seen:
            seen.add(k)
            if f == "r":
                reads[k] = v
    return reads


def ext_writes(mops):
    """{k: v} for the last write of each key."""
    return {k: v for f, k, v in mops if f != "r"}


def frozen(value):
    """A hashable stand-in for a read value (lists become tuples), for grouping equal reads."""
    if isinstance(value, list):
        return tuple(frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    return value


def malformed(txn):
    """A txn_ok whose micro-ops do not answer the request one for one."""
    asked = txn.invoke_value
    if asked is None:
        return None
    if len(asked) != len(txn.mops):
        return "wrong number of micro-ops"
    for (f0, k0, v0), (f1, k1, v1) in zip(asked, txn.mops):
        if f0 != f1 or k0 != k1 or (f0 != "r" and v0 != v1):
            return f"micro-op {[f1, k1, v1]} answers {[f0, k0, v0]}"
    return None


def single_txn_anomalies(oks, internal_case, future_read_case):
    """{type: cases} an ok transaction shows on its own: malformed, and the datatype's internal
    and future-read cases (each a function of one txn returning a case or None)."""
    anomalies = defaultdict(list)
    for txn in oks:
        problem = malformed(txn)
        if problem:
            anomalies["malformed"].append({"op": txn.describe(), "problem": problem})
        for name, case in (("internal", internal_case(txn)),
                           ("future-read", future_read_case(txn))):
            if case:
                anomalies[name].append(case)
    return anomalies


def lost_update_cases(oks):
    """Elle's lost update: two committed txns read the same version of k and both wrote k."""
    by_read = defaultdict(list)
    for txn in oks:
        writes = ext_writes(txn.mops)
        for k, v in ext_reads(txn.mops).items():
            if k in writes:
                by_read[(k, frozen(v))].append((txn, v))
    return [{"key": k, "value": found[0][1], "txns": [t.describe() for t, _ in found]}
            for (k, _), found in by_read.items() if len(found) > 1]


def intermediate_writes(txns):
    """{(k, v): txn} for writes a transaction overwrote itself."""
    found = {}
    for txn in txns:
        last = {}
        for f, k, v in txn.mops:
            if f != "r":
                if k in last:
                    found[(k, last[k])] = txn
                last[k] = v
    return found
