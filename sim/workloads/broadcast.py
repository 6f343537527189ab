"""Maelstrom's broadcast workload: topology, broadcast, read, and the set-full checker.

Generator (as Maelstrom's): after init, one client per node sends that node a `topology`
message (counted as client messages). The main phase mixes broadcasts and reads 50/50;
broadcast values are the ints 0, 1, 2, ... in order. After the recovery wait every worker
does one final read.

Checker (Jepsen's set-full, with broadcast as add). For each broadcast value:
  known         the broadcast_ok, or the first ok read that saw the value, whichever comes
                first in the history;
  last present  the latest-invoked ok read that contained it; last absent, one that missed it;
  stable        some read saw it and every read invoked after that one also saw it;
  lost          known, and the latest-invoked read missed it, and that read was invoked after
                the value became known;
  never read    neither.
Stable latency = (invocation time of the last read that missed it + 1 ns) - known time,
floored at 0, in whole ms (0 when no read ever missed it). The run is invalid when a value
is lost, and only then, as in Maelstrom (whose duplicate count compares a frequency with 1
the wrong way round and whose reads may contain anything). A read that repeats a value or
returns a value no client broadcast is reported under "warnings" but leaves the run valid.
"""

import asyncio
import math
from collections import Counter

from sim.workloads.base import Workload

QUANTILES = (0, 0.5, 0.95, 0.99, 1)
LIST_CAP = 50    # value lists in the result are cut to this many (counts stay exact)
BROADCAST_OK = {}
READ_OK = {"messages": [int]}
TOPOLOGY_OK = {}


# --- topologies (Maelstrom's --topology) -------------------------------------------------

def grid_topology(nodes):
    """A roughly square grid, row-major; neighbours below, above, right, left."""
    side = math.ceil(math.sqrt(len(nodes)))

    def at(i, j):
        idx = i * side + j
        if i >= 0 and 0 <= j < side and idx < len(nodes):
            return nodes[idx]
        return None

    topo = {}
    for i in range(side):
        for j in range(side):
            me = at(i, j)
            if me is not None:
                around = [at(i + 1, j), at(i - 1, j), at(i, j + 1), at(i, j - 1)]
                topo[me] = [n for n in around if n is not None]
    return topo


def line_topology(nodes):
    """Each node next to its predecessor and successor; one node alone gets an empty map."""
    if len(nodes) < 2:
        return {}
    topo = {nodes[0]: [nodes[1]], nodes[-1]: [nodes[-2]]}
    for left, me, right in zip(nodes, nodes[1:], nodes[2:]):
        topo[me] = [left, right]
    return topo


def total_topology(nodes):
    return {me: [n for n in nodes if n != me] for me in nodes}


def tree_topology(branching, nodes):
    """Tiers of 1, b, b^2, ... nodes; tier k+1 is cut into runs of b children, one run per
    parent of tier k in order. Neighbours: parent first, then children."""
    tiers, rest, size = [], list(nodes), 1
    while rest:
        tiers.append(rest[:size])
        rest = rest[size:]
        size *= branching
    topo = {n: [] for n in nodes}
    for parents, children in zip(tiers, tiers[1:]):
        for k, child in enumerate(children):
            parent = parents[k // branching]
            topo[parent].append(child)
            topo[child].insert(0, parent)
    return topo


TOPOLOGIES = {
    "grid": grid_topology,
    "line": line_topology,
    "total": total_topology,
    "tree": lambda nodes: tree_topology(2, nodes),
    "tree2": lambda nodes: tree_topology(2, nodes),
    "tree3": lambda nodes: tree_topology(3, nodes),
    "tree4": lambda nodes: tree_topology(4, nodes),
}


def topology(name, nodes):
    """The {node: [neighbours]} map Maelstrom sends for topology `name`."""
    return TOPOLOGIES[name](list(nodes))


# --- the workload -----------------------------------------------------------------------

class BroadcastWorkload(Workload):
    name = "broadcast"
    reopen_after_info = True
    idempotent = frozenset({"read"})

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.next_value = 0

    async def setup(self, open_client, node_ids):
        topo = topology(getattr(self.opts, "topology", "grid") or "grid", node_ids)
        body = {"type": "topology", "topology": topo}
        clients = [open_client(node) for node in node_ids]
        await asyncio.gather(*(c.call(dict(body), "topology_ok", TOPOLOGY_OK) for c in clients))

    def next_op(self, process, now):
        if self.rng.random() < 0.5:
            value, self.next_value = self.next_value, self.next_value + 1
            return {"f": "broadcast", "value": value}
        return {"f": "read", "value": None}

    async def invoke(self, client, op, process):
        if op["f"] == "broadcast":
            await client.call({"type": "broadcast", "message": op["value"]}, "broadcast_ok", BROADCAST_OK)
            return {"type": "ok", "value": op["value"]}
        reply = await client.call({"type": "read"}, "read_ok", READ_OK)
        return {"type": "ok", "value": reply["messages"]}

    def final_ops(self, process):
        return [{"f": "read", "value": None, "final": True}]

    def check(self, history, ctx):
        return check_history(history)

    def summary_extra(self, result):
        return {"stable_latencies": result.get("stable_latencies")}


WORKLOAD = BroadcastWorkload


# --- the checker (Jepsen's set-full) -----------------------------------------------------

class Element:
    """What the history says about one broadcast value."""

    __slots__ = ("value", "known", "last_present", "last_absent")

    def __init__(self, value):
        self.value = value
        self.known = None          # completion op that first proved the value exists
        self.last_present = None   # latest-invoked ok read containing it (its invocation)
        self.last_absent = None    # latest-invoked ok read missing it (its invocation)

    def saw(self, inv, completion, present):
        if present:
            self.known = self.known or completion
            if self.last_present is None or self.last_present["index"] < inv["index"]:
                self.last_present = inv
        elif self.last_absent is None or self.last_absent["index"] < inv["index"]:
            self.last_absent = inv

    def outcome(self):
        """(outcome, stable latency ms or None, lost latency ms or None)."""
        present = self.last_present["index"] if self.last_present else -1
        absent = self.last_absent["index"] if self.last_absent else -1
        if self.last_present and absent < present:
            since = self.last_absent["time"] + 1 if self.last_absent else 0
            return "stable", _ms(since - self.known["time"]), None
        if self.known and self.last_absent and present < absent and self.known["index"] < absent:
            since = self.last_present["time"] + 1 if self.last_present else 0
            return "lost", None, _ms(since - self.known["time"])
        return "never-read", None, None


def _ms(nanos):
    return int(max(0, nanos) / 1_000_000)


def quantiles(values):
    """Jepsen's frequency-distribution: the element at floor(n * q), capped at n - 1."""
    ordered = sorted(values)
    if not ordered:
        return None
    n = len(ordered)
    return {_key(q): ordered[min(n - 1, math.floor(n * q))] for q in QUANTILES}


def _key(q):
    return str(int(q)) if q in (0, 1) else str(q)


def scan(history):
    """Fold the client ops into Elements; also collect duplicated and unexpected values."""
    elements, pending = {}, {}
    duplicated, unexpected = {}, set()
    for op in history:
        if op.get("process") == "nemesis":
            continue
        kind, f = op["type"], op["f"]
        if kind == "invoke":
            pending[op["process"]] = op
            if f == "broadcast":
                elements[op["value"]] = Element(op["value"])
            continue
        inv = pending.pop(op["process"], op)
        if f == "broadcast":
            element = elements.get(op["value"])
            if kind == "ok" and element is not None:
                element.known = element.known or op
        elif f == "read" and kind == "ok":
            _read(elements, inv, op, duplicated, unexpected)
    return elements, duplicated, unexpected


def _read(elements, inv, op, duplicated, unexpected):
    counts = Counter(op["value"])
    for v, n in counts.items():
        if n > 1:
            duplicated[v] = max(n, duplicated.get(v, 0))
        if v not in elements:
            unexpected.add(v)
    seen = counts.keys()
    for value, element in elements.items():
        element.saw(inv, op, value in seen)


def check_history(history):
    """Jepsen's set-full verdict over a broadcast history, as a JSON-able dict."""
    elements, duplicated, unexpected = scan(history)
    outcomes = {"stable": [], "lost": [], "never-read": []}
    stable_lat, lost_lat, stale = [], [], []
    for value in sorted(elements):
        outcome, stable_ms, lost_ms = elements[value].outcome()
        outcomes[outcome].append(value)
        if stable_ms is not None:
            stable_lat.append(stable_ms)
            if stable_ms > 0:
                stale.append((stable_ms, value))
        if lost_ms is not None:
            lost_lat.append(lost_ms)
    # A value broadcast later may have been read before its invocation; only values
    # never attempted at all are unexpected.
    unexpected -= set(elements)
    errors, warnings = [], []
    if outcomes["lost"]:
        errors.append(f"{len(outcomes['lost'])} acknowledged value(s) lost")
    if not outcomes["stable"] and not outcomes["lost"]:
        errors.append("no value ever became stable (unknown)")
    if duplicated:
        warnings.append(f"{len(duplicated)} value(s) repeated within one read")
    if unexpected:
        warnings.append(f"{len(unexpected)} value(s) read that no client broadcast")
    stale.sort(reverse=True)
    result = {
        "valid": not errors,
        "attempt_count": len(elements),
        "stable_count": len(outcomes["stable"]),
        "lost_count": len(outcomes["lost"]),
        "lost": outcomes["lost"][:LIST_CAP],
        "never_read_count": len(outcomes["never-read"]),
        "never_read": outcomes["never-read"][:LIST_CAP],
        "stale_count": len(stale),
        "worst_stale": [{"value": v, "stable_latency": ms} for ms, v in stale[:8]],
        "duplicated_count": len(duplicated),
        "duplicated": {str(k): n for k, n in sorted(duplicated.items())},
        "unexpected_count": len(unexpected),
        "unexpected": sorted(unexpected)[:LIST_CAP],
        "stable_latencies": quantiles(stable_lat),
        "errors": errors,
        "warnings": warnings,
    }
    if lost_lat:
        result["lost_latencies"] = quantiles(lost_lat)
    return result
