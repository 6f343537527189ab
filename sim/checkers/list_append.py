"""Elle's list-append checker (elle/list_append.clj): the version inference for lists that
only grow by appends, and the anomalies found without cycles; the graph, cycles and verdicts
are sim.elle's.

A transaction's micro-ops are ["r", k, list or None] and ["append", k, element]; elements are
unique per key. The ok and info transactions are the possible ones (Elle's h/possible): their
reads give the version order and they all take part in the graph (an info txn's reads are its
request's nulls, so it only ever writes).

Version order per key: every distinct non-empty read, sorted by length, must be a prefix of the
next (else incompatible-order); the longest read is the order of appends. An append nobody read
follows the last element read (or the initial state). Edges from that order: ww from the txn
that appended an element to the one that appended the next, wr from the appender of a read's
last element to the reader, rw from the readers of a state to the appender of the next element.

Anomalies: malformed (beyond Maelstrom: an ok reply that does not answer its request),
internal (a read that disagrees with the txn's own earlier reads and appends), future-read (a
read containing an element the txn appends later), G1a (an ok read containing an element of a
failed txn), G1b (an ok read ending at an append its txn followed with another to that key),
dirty-update (a committed append right after a failed one in the order), duplicate-elements,
incompatible-order, lost-update.
"""

from collections import Counter, defaultdict

from sim.elle.analysis import analyse
from sim.elle.graph import Versions
from sim.elle.txn import (frozen, history_txns, intermediate_writes, lost_update_cases,
                          single_txn_anomalies)

UNREAD = "unread, after the last element read"
READ_ORDER = "longest read"


def check(history, models):
    """The verdict over a paired list-append history for the consistency models named."""
    txns = history_txns(history)
    for txn in txns:
        txn.mops = [(f, frozen(k), frozen(v)) for f, k, v in txn.mops]
    oks = [t for t in txns if t.type == "ok"]
    possible = [t for t in txns if t.type in ("ok", "info")]
    orders, incompatible = version_orders(possible)
    anomalies = single_txn_anomalies(oks, internal_case, future_read_case)
    anomalies.update({
        "G1a": aborted_reads(oks, txns),
        "G1b": intermediate_reads(oks, txns),
        "dirty-update": dirty_updates(orders, txns),
        "duplicate-elements": duplicates(possible),
        "incompatible-order": incompatible,
        "lost-update": lost_update_cases(oks),
    })
    result = analyse(history, possible, infer_versions(possible, orders), models, anomalies)
    result["txn_count"] = len(txns)
    return result


def reads(txns):
    """(txn, k, value) for every read whose value counts: an info txn's nulls do not."""
    for txn in txns:
        for f, k, v in txn.mops:
            if f == "r" and not (v is None and txn.type != "ok"):
                yield txn, k, v


def appends(txns):
    for txn in txns:
        for f, k, v in txn.mops:
            if f == "append":
                yield txn, k, v


# --- version order ------------------------------------------------------------------------

def version_orders(possible):
    """({k: the longest read, without repeats}, incompatible-order cases): each key's distinct
    non-empty reads sorted by length must be prefixes of one another."""
    seen = defaultdict(dict)
    for _, k, v in reads(possible):
        if v:
            seen[k].setdefault(v, None)
    orders, incompatible = {}, []
    for k, values in seen.items():
        ordered = sorted(values, key=len)
        for a, b in zip(ordered, ordered[1:]):
            if b[:len(a)] != a:
                incompatible.append({"key": k, "values": [a, b]})
                break
        orders[k] = tuple(dict.fromkeys(ordered[-1]))
    return orders, incompatible


def infer_versions(possible, orders):
    """Versions named by the element that made them (None: the initial state), in the order
    the reads proved; unread appends after the last element read."""
    versions = Versions()
    for txn, k, v in appends(possible):
        versions.add_write(txn, k, v)
    for txn, k, v in reads(possible):
        versions.add_read(txn, k, v[-1] if v else None)
    for k, order in orders.items():
        for before, after in zip((None,) + order, order):
            versions.follow(k, before, after, READ_ORDER)
    placed = {(k, e) for k, order in orders.items() for e in order}
    for txn, k, v in appends(possible):
        if (k, v) not in placed:
            last = orders.get(k)
            versions.follow(k, last[-1] if last else None, v, UNREAD)
    return versions


# --- anomalies without cycles -------------------------------------------------------------

def internal_case(txn):
    """Elle's internal consistency: each read agrees with what the txn last read of that key
    plus what it appended since (only the appended tail is known if it had not read it)."""
    state = {}  # k -> (whole list known?, expected elements; None: read as missing)
    for f, k, v in txn.mops:
        if f == "append":
            known, elements = state.get(k, (False, ()))
            state[k] = (known, (elements or ()) + (v,))
        elif f == "r":
            if k in state and not agrees(*state[k], v):
                known, elements = state[k]
                expected = list(elements) if known else ["...", *elements]
                return {"op": txn.describe(), "mop": [f, k, v], "expected": expected}
            state[k] = (True, v)
    return None


def agrees(known, elements, value):
    if known:
        return elements is None or elements == value
    tail = len(value or ()) - len(elements)
    return tail >= 0 and (value or ())[tail:] == elements


def future_read_case(txn):
    """A read that already contains an element the same txn appends later."""
    read = defaultdict(dict)  # k -> {element: the read that contained it}
    for f, k, v in txn.mops:
        if f == "r":
            for e in v or ():
                read[k].setdefault(e, [f, k, v])
        elif v in read[k]:
            return {"op": txn.describe(), "mop": read[k][v], "element": v}
    return None


def aborted_reads(oks, txns):
    """G1a: an ok read containing an element a failed txn appended."""
    failed = {(k, v): t for t, k, v in appends(t for t in txns if t.type == "fail")}
    cases = []
    for txn, k, v in reads(oks):
        for e in v or ():
            writer = failed.get((k, e))
            if writer is not None:
                cases.append({"op": txn.describe(), "mop": ["r", k, v],
                              "writer": writer.describe(), "element": e})
    return cases


def intermediate_reads(oks, txns):
    """G1b: an ok read whose last element another txn appended before appending again."""
    intermediate = intermediate_writes(txns)
    cases = []
    for txn, k, v in reads(oks):
        writer = intermediate.get((k, v[-1])) if v else None
        if writer is not None and writer is not txn:
            cases.append({"op": txn.describe(), "mop": ["r", k, v],
                          "writer": writer.describe(), "element": v[-1]})
    return cases


def dirty_updates(orders, txns):
    """Elle's dirty update: in a key's order, a committed append right after failed ones
    (info appends in between say nothing either way)."""
    writer = {(k, v): t for t, k, v in appends(txns)}
    cases = []
    for k, order in orders.items():
        last, span = None, []   # last: the latest ok or failed appender (None: initial)
        for e in order:
            txn = writer.get((k, e))
            if txn is None:
                continue
            span.append(e)
            if txn.type == "info":
                continue
            if txn.type == "ok" and last is not None and last.type == "fail":
                cases.append({"key": k, "values": span,
                              "txns": [last.describe(), "...", txn.describe()]})
            if not (txn.type == "fail" and last is not None and last.type == "fail"):
                last, span = txn, [e]
    return cases


def duplicates(possible):
    """Reads holding one element more than once."""
    cases = []
    for txn, k, v in reads(possible):
        counts = Counter(v or ())
        dups = [[e, n] for e, n in counts.items() if n > 1]
        if dups:
            cases.append({"op": txn.describe(), "mop": ["r", k, v], "duplicates": dups})
    return cases
