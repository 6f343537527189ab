"""Dependency graphs over transactions (Elle's graph and rels): the edge kinds, the version
order a datatype checker infers (Versions), and the edges built from them.

Edges: wr writer -> reader of a version; ww writer(v) -> writer(v') and rw reader(v) ->
writer(v') for every v known to precede v'; process: consecutive ok txns of a process;
realtime: Elle's transitively reduced "completed before invoked" order.
"""

from collections import defaultdict

WW, WR, RW, PROCESS, REALTIME = 1, 2, 4, 8, 16
DATA = WW | WR | RW
KIND_NAMES = {WW: "ww", WR: "wr", RW: "rw", PROCESS: "process", REALTIME: "realtime"}


class Versions:
    """What a datatype's inference proved of each key's version order, and who installed and
    who observed each version; filled in with add_write, add_read and follow. The version None
    is the initial state: nobody installed it."""

    def __init__(self):
        self.writer = {}                   # (k, v) -> committed txn that installed v of k
        self.readers = defaultdict(list)   # (k, v) -> txns that observed v of k
        self.next = defaultdict(dict)      # (k, v) -> {v': why} for versions known to follow v

    def add_write(self, txn, k, v):
        self.writer[(k, v)] = txn

    def add_read(self, txn, k, v):
        self.readers[(k, v)].append(txn)

    def follow(self, k, v, v2, why):
        self.next[(k, v)].setdefault(v2, why)


class Graph:
    """Transaction dependency edges: out[a][b] is a bit mask of edge kinds (WW, WR, ...), and
    why[(a, b, kind)] what first put that edge there: (key, value, value', via) for data
    edges, None for process and realtime ones."""

    def __init__(self):
        self.out = defaultdict(dict)
        self.why = {}

    def link(self, a, b, kind, why=None):
        if a != b:
            edges = self.out[a]
            mask = edges.get(b, 0)
            if not mask & kind:
                edges[b] = mask | kind
                self.why[(a, b, kind)] = why


def data_graph(versions, with_rw):
    """wr edges from writers to readers; ww and rw edges from every inferred v < v'."""
    graph = Graph()
    for (k, v), readers in versions.readers.items():
        writer = versions.writer.get((k, v)) if v is not None else None
        if writer is not None:
            for reader in readers:
                graph.link(writer.id, reader.id, WR, (k, v, None, None))
    for (k, v), nexts in versions.next.items():
        writer = versions.writer.get((k, v)) if v is not None else None
        readers = versions.readers.get((k, v), ()) if with_rw else ()
        for v2, via in nexts.items():
            later = versions.writer.get((k, v2))
            if later is None:
                continue
            why = (k, v, v2, via)
            if writer is not None:
                graph.link(writer.id, later.id, WW, why)
            for reader in readers:
                graph.link(reader.id, later.id, RW, why)
    return graph


def order_edges(graph, history, committed_ids, kinds):
    """Process edges (consecutive ok txns of a process) and Elle's realtime edges: a txn links
    to every later-invoked one only until some txn that follows it completes (a transitive
    reduction, O(n * concurrency) edges)."""
    frontier, before, last_ok = set(), {}, {}
    for op, invoked in history.events:
        if op.f != "txn":
            continue
        process, index = op.process, op.index
        if invoked:
            before[process] = tuple(frontier)
            continue
        preds = before.pop(process, ())
        if kinds & REALTIME and index in committed_ids:
            for a in preds:
                graph.link(a, index, REALTIME)
        if op.type == "ok":
            frontier.difference_update(preds)
            frontier.add(index)
            if kinds & PROCESS and process in last_ok:
                graph.link(last_ok[process], index, PROCESS)
            last_ok[process] = index
