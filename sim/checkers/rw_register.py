"""Elle's rw-register checker: the version inference for registers, and the anomalies found
without cycles; the graph, cycles and verdicts are sim.elle's.

Anomalies: malformed (beyond Maelstrom: a txn_ok whose micro-ops do not answer the request),
internal, G1a (aborted read), G1b (intermediate read), lost-update (two committed txns read
the same version of k and both wrote k), future-read (a txn read its own later write).
Committed transactions: ok ones, and info ones whose writes were observed (read by an ok txn
or in the final state).
Version order per key, inferred only where certain: the initial nil precedes every written
value; writes follow reads within an ok txn; and the final state, read by the workload's probe
from every node after the run, follows every other value of its key (Maelstrom lacks this last
source, so it cannot see G0 in registers).
"""

from collections import defaultdict

from sim.elle.analysis import EXAMPLES, analyse
from sim.elle.graph import Versions
from sim.elle.txn import (ext_reads, ext_writes, history_txns, intermediate_writes,
                          lost_update_cases, single_txn_anomalies)


def check(history, models, probe=None):
    """The verdict over a paired txn history for the consistency models named; probe: the
    workload's probe result, {"final": {node: [[k, v], ...]}}, or None."""
    txns = history_txns(history)
    finals, divergent = final_state(probe)
    anomalies = simple_anomalies(txns, [t for t in txns if t.type == "ok"], finals)
    committed = committed_txns(txns, finals)
    result = analyse(history, committed, infer_versions(committed, finals), models, anomalies)
    result["txn_count"] = len(txns)
    result["final_state"] = {"probed": bool(probe), "keys": len(finals),
                             "divergent_count": len(divergent),
                             "divergent_keys": divergent[:EXAMPLES]}
    return result


def final_state(probe):
    """The agreed final value per key, and the keys on which nodes disagree."""
    if not probe or not probe.get("final"):
        return {}, []
    views = [dict((k, v) for k, v in pairs) for pairs in probe["final"].values()]
    finals, divergent = {}, []
    for k in sorted(set().union(*views)):
        values = {view.get(k) for view in views}
        if len(values) == 1:
            if None not in values:
                finals[k] = values.pop()
        else:
            divergent.append(k)
    return finals, divergent


def simple_anomalies(txns, oks, finals):
    """Everything but cycles: malformed, internal, future-read, G1a, G1b, lost-update."""
    anomalies = single_txn_anomalies(oks, internal_case, future_read_case)
    failed = {(k, v): t for t in txns if t.type == "fail" for f, k, v in t.mops if f == "w"}
    g1a, g1b = read_anomalies(oks, failed, intermediate_writes(txns))
    anomalies["G1a"] += g1a
    anomalies["G1b"] += g1b
    for k, v in finals.items():
        if (k, v) in failed:
            anomalies["G1a"].append({"final_probe": [k, v], "writer": failed[(k, v)].describe()})
    anomalies["lost-update"] += lost_update_cases(oks)
    return anomalies


def internal_case(txn):
    """Elle's internal consistency: reads agree with the txn's own earlier reads and writes."""
    state = {}
    for f, k, v in txn.mops:
        expected = state.get(k)
        if f == "r" and expected is not None and expected != v:
            return {"op": txn.describe(), "mop": [f, k, v], "expected": expected}
        state[k] = v
    return None


def future_read_case(txn):
    """A first read of k that returned a value this same txn writes later."""
    written = {(k, v) for f, k, v in txn.mops if f == "w"}
    for k, v in ext_reads(txn.mops).items():
        if v is not None and (k, v) in written:
            return {"op": txn.describe(), "mop": ["r", k, v]}
    return None


def read_anomalies(oks, failed, intermediate):
    """G1a and G1b cases among ok transactions' reads."""
    g1a, g1b = [], []
    for txn in oks:
        for f, k, v in txn.mops:
            if f != "r" or v is None:
                continue
            if (k, v) in failed:
                g1a.append({"op": txn.describe(), "mop": [f, k, v],
                            "writer": failed[(k, v)].describe()})
            writer = intermediate.get((k, v))
            if writer is not None and writer is not txn:
                g1b.append({"op": txn.describe(), "mop": [f, k, v], "writer": writer.describe()})
    return g1a, g1b


def committed_txns(txns, finals):
    """ok txns, and info txns one of whose writes was observed (read by an ok txn, or final):
    only those take part in dependency edges, so an info txn that never happened adds none."""
    observed = set(finals.items())
    for txn in txns:
        if txn.type == "ok":
            observed.update(ext_reads(txn.mops).items())
    return [t for t in txns if t.type == "ok" or (
        t.type == "info" and any(kv in observed for kv in ext_writes(t.mops).items()))]


def infer_versions(committed, finals):
    """The version order the register history proves (see the module docstring)."""
    versions = Versions()
    written = defaultdict(list)
    for txn in committed:
        writes = ext_writes(txn.mops)
        for k, v in writes.items():
            versions.add_write(txn, k, v)
            written[k].append(v)
        if txn.type != "ok":
            continue
        for k, v in ext_reads(txn.mops).items():
            versions.add_read(txn, k, v)
            if v is not None and k in writes and writes[k] != v:
                versions.follow(k, v, writes[k], "writes-follow-reads")
    for k, values in written.items():
        for v in values:
            versions.follow(k, None, v, "initial state")
        last = finals.get(k)
        if (k, last) in versions.writer:
            for v in values:
                if v != last:
                    versions.follow(k, v, last, "final state")
    return versions
