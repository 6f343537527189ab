"""Cycle search, as Elle's txn.clj does it, in two parts.

cycle_exists: for each cycle-exists spec a model needs (weakest first), whether the graph
restricted to the spec's edge kinds has a strongly connected component (two-state nodes when
rw edges must not be adjacent). Exact; the verdicts rest on it.

find_cycles: within each strongly connected component of the whole graph, Elle's cycle types
in implication order (G0, G1c, G-single-item, G-nonadjacent-item, G2-item, then each with
-process, then with -realtime), skipping a type some type found there already implies, and one
example cycle per type found. A cycle is looked for through an anchor edge of the type's
rarest kind (the order kind of a variant, else rw, else wr, else ww) whose ends can reach each
other, by a breadth-first search over (txn, what the path has used so far); the walk is split
into simple cycles and one classified as the type sought is kept, as Elle keeps only a cycle
its explainer names as sought. G0, G1c and G-single-item are found whenever they exist; the
other types, like Elle's, may be missed in a tangle (their models still fail by cycle_exists),
though on small random graphs the search agrees with brute-force enumeration
(tests/test_sim_elle_cycles.py).
"""

from collections import defaultdict, deque

from sim.elle.graph import DATA, PROCESS, REALTIME, RW, WR, WW
from sim.elle.models import ANOMALY_IMPLIES, CYCLE_SPECS, closure

ANCHOR_TRIES = 16   # anchor edges tried per type and component before giving up


def sccs(nodes, succ):
    """Strongly connected components with 2+ members (a list of sets)."""
    return _tarjan(nodes, succ, keep_singletons=False)


def _tarjan(nodes, succ, keep_singletons):
    """Iterative Tarjan; components in the order they complete (every component after all
    those it reaches)."""
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
                if keep_singletons or len(comp) > 1:
                    out.append(comp)
    return out


def kinds_of(mask):
    return [kind for kind in (WW, WR, PROCESS, REALTIME, RW) if mask & kind]


# --- cycle existence per model spec -------------------------------------------------------

class SpecGraph:
    """A spec's view of the graph: states (txn id, s); s = 1 right after an rw edge when rw
    edges must not be adjacent (then an rw edge may only leave state 0), else always 0."""

    def __init__(self, graph, scope, kinds, nonadjacent):
        self.adj = defaultdict(list)  # state -> [state']
        for a in scope:
            for b, mask in graph.out.get(a, {}).items():
                mask &= kinds
                if not mask or b not in scope:
                    continue
                if mask & ~RW if nonadjacent else mask:
                    self.adj[2 * a].append(2 * b)
                    if nonadjacent:
                        self.adj[2 * a + 1].append(2 * b)
                if nonadjacent and mask & RW:
                    self.adj[2 * a].append(2 * b + 1)

    def succ(self, state):
        return self.adj.get(state, ())


def covers(weaker, spec):
    """True when every cycle of `weaker` is also a cycle of `spec` (process <= realtime)."""
    (k1, adj1), (k2, adj2) = weaker, spec
    if k2 & REALTIME and k1 & PROCESS:
        k1 = (k1 & ~PROCESS) | REALTIME
    return k1 & ~k2 == 0 and (not adj2 or adj1 or not k1 & RW)


def cycle_exists(graph, spec_names):
    """{spec: stats} for each spec (weakest first) whose subgraph has a cycle: the number of
    its components and the largest, or the weaker spec that already implies one."""
    scope = set().union(*component_sets(graph, DATA | PROCESS | REALTIME))
    fired = {}
    for name in [n for n in CYCLE_SPECS if n in spec_names]:
        spec = CYCLE_SPECS[name]
        weaker = next((w for w in fired if covers(CYCLE_SPECS[w], spec)), None)
        if weaker is not None:
            fired[name] = {"implied_by": weaker}
            continue
        view = SpecGraph(graph, scope, *spec)
        comps = sccs(sorted(view.adj), view.succ)
        if comps:
            fired[name] = {"sccs": len(comps),
                           "largest": max(len({s // 2 for s in c}) for c in comps)}
    return fired


def component_sets(graph, kinds, within=None):
    """Strongly connected components (2+ txns) of the graph's edges of the given kinds."""
    nodes = list(graph.out) if within is None else sorted(within)

    def succ(a):
        return [b for b, m in graph.out.get(a, {}).items()
                if m & kinds and (within is None or b in within)]
    return sccs(nodes, succ)


# --- typed cycles, as Elle names them -----------------------------------------------------

NONE, SINGLE, NONADJACENT, MULTIPLE = "none", "single", "nonadjacent", "multiple"
BASE_TYPES = (  # name, edge kinds, rw rule, kinds a cycle must use
    ("G0", WW, NONE, 0),
    ("G1c", WW | WR, NONE, WR),
    ("G-single-item", WW | WR | RW, SINGLE, RW),
    ("G-nonadjacent-item", WW | WR | RW, NONADJACENT, RW),
    ("G2-item", WW | WR | RW, MULTIPLE, RW),
)
CYCLE_TYPES = [(name + suffix, kinds | extra, rule, needs | extra)
               for suffix, extra in (("", 0), ("-process", PROCESS), ("-realtime", REALTIME))
               for name, kinds, rule, needs in BASE_TYPES]


def adjacent_rw(kinds):
    return any(kinds[i] == RW and kinds[i - 1] == RW for i in range(len(kinds)))


def classify(kinds):
    """Elle's cycle names (all our rw edges are item anti-dependencies): by rw count and
    adjacency, then -realtime / -process."""
    rw = kinds.count(RW)
    if rw == 1:
        base = "G-single-item"
    elif rw > 1:
        base = "G2-item" if adjacent_rw(kinds) else "G-nonadjacent-item"
    else:
        base = "G1c" if WR in kinds else "G0"
    if REALTIME in kinds:
        return base + "-realtime"
    return base + ("-process" if PROCESS in kinds else "")


def find_cycles(graph, kinds=DATA | PROCESS | REALTIME):
    """{cycle type: [(component size, [(txn, txn', kind), ...]), ...]}: per strongly connected
    component of the graph's edges of the given kinds, one example of each type found (see the
    module docstring)."""
    found = defaultdict(list)
    for comp in sorted(component_sets(graph, kinds), key=min):
        search = ComponentSearch(graph, comp, kinds)
        implied = set()
        for name, type_kinds, rule, needs in CYCLE_TYPES:
            if name in implied or not search.has(needs):
                continue
            steps = search.cycle(name, type_kinds, rule, needs)
            if steps:
                found[name].append((len(comp), steps))
                implied |= closure([name], ANOMALY_IMPLIES)
    return found


class ComponentSearch:
    """Typed cycle search inside one strongly connected component, on edges of the given
    kinds."""

    def __init__(self, graph, comp, kinds):
        self.comp = comp
        self.out = {a: {b: m & kinds for b, m in graph.out.get(a, {}).items()
                        if b in comp and m & kinds}
                    for a in comp}
        self.present = 0
        for edges in self.out.values():
            for mask in edges.values():
                self.present |= mask
        self.condensed = {}

    def has(self, kinds):
        return self.present & kinds == kinds

    def cycle(self, name, kinds, rule, needs):
        """A simple cycle that classify() names `name`, or None."""
        anchor_kind = next(k for k in (REALTIME, PROCESS, RW, WR, WW) if needs & k or k == WW)
        path_kinds = kinds & ~RW if rule == SINGLE and anchor_kind == RW else kinds
        for a, b in self.anchors(anchor_kind, path_kinds)[:ANCHOR_TRIES]:
            walk = self.walk(a, b, anchor_kind, kinds, rule, needs)
            for steps in split_simple(walk or []):
                if classify([k for _, _, k in steps]) == name:
                    return steps
        return None

    def anchors(self, kind, path_kinds):
        """Edges a -> b of `kind` where b can reach a over path_kinds, those inside one
        component of path_kinds first."""
        if path_kinds not in self.condensed:
            self.condensed[path_kinds] = condensation(self.out, path_kinds)
        comp_of, reach = self.condensed[path_kinds]
        near, far = [], []
        for a in sorted(self.out):
            for b, mask in sorted(self.out[a].items()):
                if mask & kind:
                    ca, cb = comp_of[a], comp_of[b]
                    if ca == cb:
                        near.append((a, b))
                    elif reach[cb] >> ca & 1:
                        far.append((a, b))
        return near + far

    def walk(self, a, b, anchor_kind, kinds, rule, needs):
        """Shortest walk a -anchor-> b -> ... -> a obeying the rw rule and using every kind
        in needs, by breadth-first search over (txn, rw count, last edge rw, rw pair seen,
        kinds used). Returns [(txn, txn', kind), ...] or None."""
        first_rw = anchor_kind == RW
        start = (b, int(first_rw), first_rw, False, anchor_kind & needs)
        prev = {start: None}
        queue = deque([start])
        while queue:
            state = queue.popleft()
            node, rw, last_rw, pair, used = state
            if node == a and accepts(rule, rw, last_rw and first_rw, pair, used == needs):
                steps = [(a, b, anchor_kind)]
                tail = []
                while prev[state] is not None:
                    state_before, kind = prev[state]
                    tail.append((state_before[0], state[0], kind))
                    state = state_before
                return steps + tail[::-1]
            for nxt, mask in self.out[node].items():
                for kind in kinds_of(mask & kinds):
                    is_rw = kind == RW
                    if is_rw and (rule == SINGLE and rw or rule == NONADJACENT and last_rw):
                        continue
                    after = (nxt, min(rw + is_rw, 2), is_rw, pair or (is_rw and last_rw),
                             used | (kind & needs))
                    if after not in prev:
                        prev[after] = (state, kind)
                        queue.append(after)
        return None


def accepts(rule, rw, wraps_rw, pair, used_all):
    """Whether a closed walk's rw edges obey the rule (wraps_rw: its last and first edges
    are both rw, adjacent around the cycle)."""
    if not used_all:
        return False
    if rule == SINGLE:
        return rw == 1
    if rule == NONADJACENT:
        return rw >= 2 and not wraps_rw
    if rule == MULTIPLE:
        return rw >= 2 and (pair or wraps_rw)
    return rw == 0


def split_simple(walk):
    """The simple cycles a closed walk is made of: cut out the part between two visits of one
    txn until none repeats."""
    pieces, rest = [], list(walk)
    while True:
        seen = {}
        for j, (x, _, _) in enumerate(rest):
            if x in seen:
                i = seen[x]
                pieces.append(rest[i:j])
                rest = rest[:i] + rest[j:]
                break
            seen[x] = j
        else:
            return [rest] + pieces if rest else pieces


def condensation(out, kinds):
    """({txn: component number}, [bit set of the components each component reaches]) for the
    edges of the given kinds; components are numbered in the order Tarjan completes them,
    so every edge between two leads to a lower number."""
    def succ(a):
        return [b for b, m in out[a].items() if m & kinds]
    comps = _tarjan(sorted(out), succ, keep_singletons=True)
    comp_of = {x: i for i, comp in enumerate(comps) for x in comp}
    reach = []
    for i, comp in enumerate(comps):
        bits = 1 << i
        for x in comp:
            for y in succ(x):
                if comp_of[y] != i:
                    bits |= reach[comp_of[y]]
        reach.append(bits)
    return comp_of, reach
