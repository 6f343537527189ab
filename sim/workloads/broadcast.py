"""Maelstrom's broadcast workload: topology, broadcast and read.

Generator (as Maelstrom's): after init, one client per node sends that node a `topology`
message (counted as client messages). The main phase mixes broadcasts and reads 50/50;
broadcast values are the ints 0, 1, 2, ... in order. After the recovery wait every worker
does one final read.

Checker: sim.checkers.set_full (Jepsen's set-full, with broadcast as the add).
"""

import asyncio
import math

from sim.checkers import set_full
from sim.workloads.base import Workload

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
    final_phase = True
    summary_fields = ("stable_latencies",)

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

    @staticmethod
    def check(history, opts, probe=None):
        return set_full.check(history, add_f="broadcast")


WORKLOAD = BroadcastWorkload
