"""Cycle search (Elle's cycle-exists specs, reached by strongly connected components): for each
spec a model needs, the graph restricted to the spec's edge kinds, its strongly connected
components, and one short simple cycle per component through an edge of the spec's own kind,
named as Elle names cycles: G0 (ww only), G1c (ww + wr), G-single (exactly one rw),
G-nonadjacent (several rw, no two adjacent), G2-item (two adjacent rw), each with a -process
or -realtime suffix when it uses such an edge.
"""

from collections import defaultdict, deque

from sim.elle.graph import PROCESS, REALTIME, RW, WR, WW
from sim.elle.models import CYCLE_SPECS


def sccs(nodes, succ):
    """Strongly connected components (iterative Tarjan); only those with 2+ members."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(succ(child))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.add(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


LABEL_ORDER = (WW, WR, PROCESS, REALTIME, RW)  # an edge of several kinds reads as the mildest


def mildest(mask):
    return next(kind for kind in LABEL_ORDER if mask & kind)


class SpecGraph:
    """A spec's view of the graph: states (txn id, s); s = 1 right after an rw edge when rw
    edges must not be adjacent (then an rw edge may only leave state 0), else always 0."""

    def __init__(self, graph, scope, kinds, nonadjacent):
        self.adj = defaultdict(list)  # state -> [(state', kind)]
        for a in scope:
            for b, mask in graph.out.get(a, {}).items():
                mask &= kinds
                if not mask or b not in scope:
                    continue
                plain = mask & ~RW if nonadjacent else mask
                if plain:
                    kind = mildest(plain)
                    self.adj[2 * a].append((2 * b, kind))
                    if nonadjacent:
                        self.adj[2 * a + 1].append((2 * b, kind))
                if nonadjacent and mask & RW:
                    self.adj[2 * a].append((2 * b + 1, RW))

    def succ(self, state):
        return [b for b, _ in self.adj.get(state, ())]

    def witness(self, comp, wanted):
        """An edge inside comp of the wanted kind (any edge if there is none)."""
        fallback = None
        for a in sorted(comp):
            for b, kind in self.adj.get(a, ()):
                if b in comp:
                    if kind == wanted:
                        return a, b, kind
                    fallback = fallback or (a, b, kind)
        return fallback

    def path(self, start, goal, comp):
        """Shortest list of (state, state', kind) from start to goal inside comp."""
        prev = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if node == goal:
                break
            for nxt, kind in self.adj.get(node, ()):
                if nxt in comp and nxt not in prev:
                    prev[nxt] = (node, kind)
                    queue.append(nxt)
        steps, node = [], goal
        while prev.get(node) is not None:
            before, kind = prev[node]
            steps.append((before, node, kind))
            node = before
        return steps[::-1]


def adjacent_rw(kinds):
    return any(kinds[i] == RW and kinds[i - 1] == RW for i in range(len(kinds)))


def simple_cycle(steps):
    """A walk found on the two-state graph may pass a txn twice; split it there and keep a
    part with no adjacent rw edges (one of the two always qualifies) until no txn repeats."""
    while True:
        seen = {}
        for j, (a, _, _) in enumerate(steps):
            if a in seen:
                i = seen[a]
                inner, outer = steps[i:j], steps[:i] + steps[j:]
                steps = inner if not adjacent_rw([k for _, _, k in inner]) else outer
                break
            seen[a] = j
        else:
            return steps


def classify(kinds):
    """Elle's cycle names: by rw count and adjacency, then -realtime / -process."""
    rw = kinds.count(RW)
    if rw == 1:
        base = "G-single"
    elif rw > 1:
        base = "G2-item" if adjacent_rw(kinds) else "G-nonadjacent"
    else:
        base = "G1c" if WR in kinds else "G0"
    if REALTIME in kinds:
        return base + "-realtime"
    return base + ("-process" if PROCESS in kinds else "")


def wanted_kind(kinds):
    """The edge kind that sets a spec apart from weaker ones: its cycles should use one."""
    for kind in (REALTIME, PROCESS, RW, WR):
        if kinds & kind:
            return kind
    return WW


def covers(weaker, spec):
    """True when every cycle of `weaker` is also a cycle of `spec` (process <= realtime)."""
    (k1, adj1), (k2, adj2) = weaker, spec
    if k2 & REALTIME and k1 & PROCESS:
        k1 = (k1 & ~PROCESS) | REALTIME
    return k1 & ~k2 == 0 and (not adj2 or adj1 or not k1 & RW)


def find_cycles(graph, spec_names):
    """Search each spec (weakest first) for cycles: one shortest cycle per strongly connected
    component, through an edge of the spec's distinguishing kind. A spec all of whose cycles
    are cycles of a weaker spec that already has some is not searched (its models fail anyway).
    Returns ({spec: stats}, {cycle type: [(scc size, [(txn, txn', kind), ...]), ...]})."""
    union = 0
    for name in spec_names:
        union |= CYCLE_SPECS[name][0]
    scope = set()
    for comp in sccs(list(graph.out), lambda a: [b for b, m in graph.out.get(a, {}).items()
                                                 if m & union]):
        scope |= comp
    fired, found = {}, defaultdict(list)
    for name in [n for n in CYCLE_SPECS if n in spec_names]:
        spec = CYCLE_SPECS[name]
        weaker = next((w for w in fired if covers(CYCLE_SPECS[w], spec)), None)
        if weaker is not None:
            fired[name] = {"implied_by": weaker}
            continue
        if not scope:
            continue
        view = SpecGraph(graph, scope, *spec)
        comps = sccs(sorted(view.adj), view.succ)
        if not comps:
            continue
        fired[name] = {"sccs": len(comps), "largest": max(len({s // 2 for s in c})
                                                          for c in comps)}
        for comp in sorted(comps, key=min):
            a, b, kind = view.witness(comp, wanted_kind(spec[0]))
            steps = [(a, b, kind)] + view.path(b, a, comp)
            steps = simple_cycle([(x // 2, y // 2, k) for x, y, k in steps])
            found[classify([k for _, _, k in steps])].append((len({s // 2 for s in comp}), steps))
    return fired, found
