"""Maelstrom's txn-rw-register workload: transactions over integer registers, and an Elle-style
checker for every consistency model Elle knows, including dirty writes Maelstrom cannot see.

Client: `txn {txn: [[f, k, v], ...]}` -> `txn_ok {txn}` with reads filled in (ints or null).
The client is reusable after an info (no reopen), and no op is idempotent.

Generator (Elle's wr-txns, as Maelstrom configures it): 1..4 micro-ops per transaction, each
a read or a write with equal odds, over a pool of 10 active keys (0..9 at first) picked with
an exponential distribution (base 2: each key is twice as likely as the one before it). Writes
to a key carry 1, 2, 3, ... so they are unique per key; a key that would get its 17th write is
retired and replaced by a fresh key (the largest active key + 1). No final phase.

Checker (Elle's rw-register and txn analysis, facts only, plus what the simulator alone sees):
  internal, G1a (aborted read), G1b (intermediate read), lost-update (two committed txns read
  the same version of k and both wrote k), future-read (a txn read its own later write);
  dependency cycles over committed transactions (ok ones, and info ones whose writes were
  observed), classified as Elle does: G0 (ww only), G1c (ww + wr), G-single (exactly one rw),
  G-nonadjacent (several rw, no two adjacent), G2-item (two adjacent rw), each with a
  -process or -realtime suffix when the cycle uses such an edge.
Version order per key, inferred only where certain: the initial nil precedes every written
value; writes follow reads within an ok txn; and the final state, read by `probe()` from every
node after the run, follows every other value of its key (Maelstrom lacks this last source).
Edges: wr writer -> reader of a value; ww writer(v) -> writer(v') and rw reader(v) -> writer(v')
for every inferred v < v'; process: consecutive ok txns of a process; realtime: Elle's
transitively reduced "completed before invoked" order (only built when a model needs it).
A requested model holds (true) when none of the anomalies Elle says it forbids is found and
no cycle of its forbidden shape exists; false when one is; "not-checked" when it forbids an
anomaly this checker cannot see (listed under not_checked). valid = every model holds.
Beyond Maelstrom, a txn_ok whose micro-ops do not match the request is a "malformed" anomaly.
"""

import asyncio
import time
from collections import defaultdict, deque

from sim.schema import Nullable
from sim.workloads.base import ClientError, SchemaError, Workload

TXN_OK = {"txn": [(str, int, Nullable(int))]}
EXAMPLES = 8
PROBE_WAIT = 5.0  # seconds the probe waits for nodes to agree on the final state
PROBE_CHUNK = 4
PROBE_TIMEOUT = 1.0  # seconds per probe read

# --- generator ----------------------------------------------------------------------------

class TxnGenerator:
    """Elle's wr-txns: random read/write transactions over a rotating pool of keys."""

    def __init__(self, rng, key_count=10, min_length=1, max_length=4, max_writes=16):
        self.rng = rng
        self.key_count = key_count
        self.min_length = min_length
        self.max_length = max_length
        self.max_writes = max_writes
        self.active = list(range(key_count))
        self.next_value = {}
        self.scale = (2 ** key_count - 1) * 2  # maps a uniform draw onto log2 buckets

    def pick_key(self):
        """Key i of the pool is twice as likely as key i-1."""
        draw = self.rng.random() * self.scale + 2
        index = min(int(draw).bit_length() - 2, self.key_count - 1)
        return self.active[index]

    def next_txn(self):
        length = self.rng.randint(self.min_length, self.max_length)
        txn = []
        while len(txn) < length:
            f = self.rng.choice(("r", "w"))
            k = self.pick_key()
            if f == "r":
                txn.append(["r", k, None])
                continue
            v = self.next_value.get(k, 1)
            if v > self.max_writes:
                self.active[self.active.index(k)] = max(self.active) + 1
                continue
            self.next_value[k] = v + 1
            txn.append(["w", k, v])
        return txn


# --- workload -----------------------------------------------------------------------------

class TxnRwRegister(Workload):
    name = "txn-rw-register"
    reopen_after_info = False
    idempotent = frozenset()

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.gen = TxnGenerator(
            rng,
            key_count=getattr(opts, "key_count", None) or 10,
            max_length=getattr(opts, "max_txn_length", None) or 4,
            max_writes=getattr(opts, "max_writes_per_key", None) or 16)
        self.keys = set()

    def next_op(self, process, now):
        txn = self.gen.next_txn()
        self.keys.update(k for _, k, _ in txn)
        return {"f": "txn", "value": txn}

    async def invoke(self, client, op, process):
        reply = await client.call({"type": "txn", "txn": op["value"]}, "txn_ok", TXN_OK)
        return {"type": "ok", "value": reply["txn"]}

    async def probe(self, open_client, node_ids):
        """Read every key on every node until the nodes agree (or PROBE_WAIT passes)."""
        keys = sorted(self.keys)
        clients = {node: open_client(node) for node in node_ids}
        deadline = asyncio.get_running_loop().time() + PROBE_WAIT
        while True:
            states = {node: await read_all(c, keys) for node, c in clients.items()}
            if agreed(states) or asyncio.get_running_loop().time() >= deadline:
                return {"final": {node: sorted(s.items()) for node, s in states.items()}}
            await asyncio.sleep(0.5)

    @staticmethod
    def check(history, opts, probe=None):
        started = time.perf_counter()
        result = check_history(history, opts.consistency_models, probe)
        result["check_ms"] = round((time.perf_counter() - started) * 1000)
        return result


async def read_all(client, keys):
    """{key: value} as one node sees it; after a failed read the rest are left out."""
    state = {}
    for i in range(0, len(keys), PROBE_CHUNK):
        txn = [["r", k, None] for k in keys[i:i + PROBE_CHUNK]]
        try:
            reply = await client.call({"type": "txn", "txn": txn}, "txn_ok", TXN_OK,
                                      timeout=PROBE_TIMEOUT)
        except (ClientError, SchemaError):
            return state
        for f, k, v in reply["txn"]:
            state[k] = v
    return state


def agreed(states):
    views = list(states.values())
    return all(view == views[0] for view in views)


# --- consistency models (Elle's consistency_model.clj, as data) ----------------------------

# Friendly model names Elle maps to canonical (Adya) ones.
CANONICAL = {
    "consistent-view": "PL-2+", "conflict-serializable": "PL-3", "cursor-stability": "PL-CS",
    "forward-consistent-view": "PL-FCV", "monotonic-snapshot-read": "PL-MSR",
    "monotonic-view": "PL-2L", "read-committed": "PL-2", "read-uncommitted": "PL-1",
    "repeatable-read": "PL-2.99", "serializable": "PL-3", "snapshot-isolation": "PL-SI",
    "strict-serializable": "PL-SS", "strong-serializable": "PL-SS",
    "update-serializable": "PL-3U",
    "strong-session-read-uncommitted": "strong-session-PL-1",
    "strong-session-read-committed": "strong-session-PL-2",
    "strong-read-uncommitted": "strong-PL-1", "strong-read-committed": "strong-PL-2",
}

# Model -> the models it implies (a history satisfying it satisfies them).
IMPLIES = {
    "causal-cerone": ["read-atomic"],
    "consistent-view": ["cursor-stability", "monotonic-view"],
    "cursor-stability": ["read-committed"],
    "forward-consistent-view": ["consistent-view"],
    "read-committed": ["read-uncommitted"],
    "serializable": ["repeatable-read", "update-serializable", "snapshot-isolation",
                     "view-serializable"],
    "update-serializable": ["forward-consistent-view"],
    "monotonic-atomic-view": ["read-committed"],
    "monotonic-view": ["read-committed"],
    "monotonic-snapshot-read": ["read-committed"],
    "parallel-snapshot-isolation": ["causal-cerone", "ROLA"],
    "prefix": ["causal-cerone"],
    "read-atomic": ["monotonic-atomic-view"],
    "repeatable-read": ["cursor-stability", "monotonic-atomic-view"],
    "ROLA": ["read-atomic"],
    "session-serializable": ["1SR"],
    "snapshot-isolation": ["forward-consistent-view", "monotonic-atomic-view",
                           "monotonic-snapshot-read", "parallel-snapshot-isolation", "prefix"],
    "strict-serializable": ["serializable", "linearizable", "snapshot-isolation",
                            "strong-snapshot-isolation", "strong-session-serializable",
                            "session-serializable"],
    "strong-session-read-uncommitted": ["read-uncommitted"],
    "strong-session-read-committed": ["read-committed", "strong-session-read-uncommitted"],
    "strong-read-uncommitted": ["strong-session-read-uncommitted"],
    "strong-read-committed": ["strong-session-read-committed", "strong-read-uncommitted"],
    "strong-session-serializable": ["serializable", "strong-session-snapshot-isolation"],
    "strong-session-snapshot-isolation": ["snapshot-isolation", "strong-session-read-committed"],
    "strong-snapshot-isolation": ["strong-session-snapshot-isolation", "strong-read-committed"],
    "linearizable": ["sequential"],
    "sequential": ["causal"],
    "causal": ["writes-follow-reads", "PRAM"],
    "PRAM": ["monotonic-reads", "monotonic-writes", "read-your-writes"],
}

# Model -> the anomalies it directly forbids (beyond those of the models it implies).
FORBIDS = {
    "causal-cerone": ["internal", "G1a"],
    "cursor-stability": ["G1", "G-cursor", "lost-update"],
    "monotonic-view": ["G1", "G-monotonic"],
    "monotonic-snapshot-read": ["G1", "G-MSR"],
    "consistent-view": ["G1", "G-single"],
    "forward-consistent-view": ["G1", "G-SIb"],
    "parallel-snapshot-isolation": ["internal", "G1a"],
    "serializable": ["internal", "G1", "G2", "predicate-read-miss", "PL-3-cycle-exists"],
    "read-committed": ["G1", "PL-2-cycle-exists"],
    "read-uncommitted": ["G0", "duplicate-elements", "cyclic-versions", "PL-1-cycle-exists"],
    "prefix": ["internal", "G1a"],
    "snapshot-isolation": ["internal", "G1", "G-SI", "G-nonadjacent", "PL-SI-cycle-exists"],
    "read-atomic": ["internal", "G1a", "future-read"],
    "repeatable-read": ["G1", "G2-item", "PL-2.99-cycle-exists", "lost-update"],
    "ROLA": ["lost-update"],
    "strict-serializable": ["G1", "G1c-realtime", "G2-realtime", "PL-SS-cycle-exists"],
    "strong-session-read-uncommitted": ["strong-session-PL-1-cycle-exists", "G0-process"],
    "strong-session-read-committed": ["strong-session-PL-2-cycle-exists", "G1c-process"],
    "strong-read-uncommitted": ["strong-PL-1-cycle-exists", "G0-realtime"],
    "strong-read-committed": ["strong-PL-2-cycle-exists", "G1c-realtime"],
    "strong-session-snapshot-isolation": [
        "internal", "G1-process", "G-nonadjacent-process",
        "strong-session-snapshot-isolation-cycle-exists"],
    "strong-snapshot-isolation": [
        "internal", "G1-realtime", "G-nonadjacent-realtime",
        "strong-snapshot-isolation-cycle-exists"],
    "strong-session-serializable": ["G1-process", "G2-process",
                                    "strong-session-serializable-cycle-exists"],
    "update-serializable": ["G1", "G-update"],
}

# Anomaly -> anomalies it implies (Elle's implied-anomalies; process order is realtime order).
_VARIANT_CHAINS = {  # base anomaly -> what it implies, applied to "", -process, -realtime
    "G0": ["G1c"], "G1c": ["G1"], "G-single-item": ["G-single", "G-nonadjacent-item"],
    "G-single": ["G-nonadjacent"], "G-nonadjacent-item": ["G-nonadjacent", "G2-item"],
    "G-nonadjacent": ["G2"], "G2-item": ["G2"], "G1": [], "G2": [],
}
ANOMALY_IMPLIES = defaultdict(list, {"G1a": ["G1"], "G1b": ["G1"], "future-read": ["G1c"],
                                     "lost-update": ["write-skew", "G2-item"],
                                     "write-skew": ["G2"], "G-single": ["GSIb"],
                                     "GSIa": ["GSI"], "GSIb": ["GSI"]})
for _base, _implied in _VARIANT_CHAINS.items():
    for _a, _b in (("", "-process"), ("-process", "-realtime")):
        ANOMALY_IMPLIES[_base + _a].append(_base + _b)
    for _suffix in ("", "-process", "-realtime"):
        ANOMALY_IMPLIES[_base + _suffix] += [i + _suffix for i in _implied]

# Anomalies a register checker cannot observe: Adya's shape- or timestamp-specific phenomena
# (no start/commit times, no cursors). They count as checked only for models that forbid every
# cycle without two adjacent rw edges (snapshot isolation and up), which subsumes them.
UNSEEN = {"G-cursor", "G-monotonic", "G-MSR", "G-SI", "G-SIb", "G-update"}

# Elle's cycle-exists specs: model -> (edge kinds, whether rw edges must not be adjacent).
WW, WR, RW, PROCESS, REALTIME = 1, 2, 4, 8, 16
DATA = WW | WR | RW
KIND_NAMES = {WW: "ww", WR: "wr", RW: "rw", PROCESS: "process", REALTIME: "realtime"}
CYCLE_SPECS = {  # weakest first; repeatable-read: Adya's G2-item includes single-rw cycles
    "PL-1": (WW, False), "PL-2": (WW | WR, False), "PL-SI": (DATA, True), "PL-3": (DATA, False),
    "PL-2.99": (DATA, False),
    "strong-session-PL-1": (WW | PROCESS, False), "strong-session-PL-2": (WW | WR | PROCESS, False),
    "strong-session-snapshot-isolation": (DATA | PROCESS, True),
    "strong-session-serializable": (DATA | PROCESS, False),
    "strong-PL-1": (WW | REALTIME, False), "strong-PL-2": (WW | WR | REALTIME, False),
    "strong-snapshot-isolation": (DATA | REALTIME, True), "PL-SS": (DATA | REALTIME, False),
}


def canonical(model):
    return CANONICAL.get(model, model)


def closure(starts, graph):
    """Everything reachable from starts in a {x: [y, ...]} graph, starts included."""
    seen, todo = set(starts), list(starts)
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


FRIENDLY = {c: f for f, c in CANONICAL.items()}
FRIENDLY.update({"PL-3": "serializable", "PL-SS": "strict-serializable"})


def friendly(model):
    """The name Elle's tables above use for a model (friendly and canonical names accepted)."""
    return FRIENDLY.get(canonical(model), model)


KNOWN_MODELS = set(IMPLIES) | {m for ms in IMPLIES.values() for m in ms} | set(CANONICAL) \
    | set(CANONICAL.values())


def implied_models(model):
    """The model and every model it implies, by friendly name."""
    return closure([friendly(model)], IMPLIES)


def model_specs(model):
    """Canonical names of the cycle-exists specs that apply to a model."""
    return {canonical(m) for m in implied_models(model)} & set(CYCLE_SPECS)
# --- checker: transactions and simple anomalies --------------------------------------------

class Txn:
    """One transaction: its completion type, micro-ops, process and history positions."""

    __slots__ = ("id", "type", "mops", "process", "invoke_value", "invoked")

    def __init__(self, id, type, mops, process, invoke_value, invoked):
        self.id, self.type, self.mops = id, type, mops
        self.process, self.invoke_value, self.invoked = process, invoke_value, invoked

    def describe(self):
        return {"index": self.id, "type": self.type, "process": self.process, "value": self.mops}


def pair_txns(history):
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
    return {k: v for f, k, v in mops if f == "w"}


def malformed(txn):
    """A txn_ok whose micro-ops do not answer the request one for one."""
    asked = txn.invoke_value
    if asked is None:
        return None
    if len(asked) != len(txn.mops):
        return "wrong number of micro-ops"
    for (f0, k0, v0), (f1, k1, v1) in zip(asked, txn.mops):
        if f0 != f1 or k0 != k1 or (f0 == "w" and v0 != v1):
            return f"micro-op {[f1, k1, v1]} answers {[f0, k0, v0]}"
    return None


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


def lost_update_cases(oks):
    """Elle's lost update: two committed txns read the same version of k and both wrote k."""
    by_read = defaultdict(list)
    for txn in oks:
        writes = ext_writes(txn.mops)
        for k, v in ext_reads(txn.mops).items():
            if k in writes:
                by_read[(k, v)].append(txn)
    return [{"key": k, "value": v, "txns": [t.describe() for t in txns]}
            for (k, v), txns in by_read.items() if len(txns) > 1]


def intermediate_writes(txns):
    """{(k, v): txn} for writes a transaction overwrote itself."""
    found = {}
    for txn in txns:
        last = {}
        for f, k, v in txn.mops:
            if f == "w":
                if k in last:
                    found[(k, last[k])] = txn
                last[k] = v
    return found


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


# --- checker: version order and dependency graph -------------------------------------------

class Versions:
    """What is known of each key's version order, and who wrote and read each version."""

    def __init__(self, committed, finals):
        self.writer = {}                   # (k, v) -> committed txn whose final write of k is v
        self.readers = defaultdict(list)   # (k, v) -> ok txns whose first access to k read v
        self.next = defaultdict(dict)      # (k, v) -> {v': why} for versions known to follow v
        written = defaultdict(list)
        for txn in committed:
            writes = ext_writes(txn.mops)
            for k, v in writes.items():
                self.writer[(k, v)] = txn
                written[k].append(v)
            if txn.type != "ok":
                continue
            for k, v in ext_reads(txn.mops).items():
                self.readers[(k, v)].append(txn)
                if v is not None and k in writes and writes[k] != v:
                    self.follow(k, v, writes[k], "writes-follow-reads")
        for k, values in written.items():
            for v in values:
                self.follow(k, None, v, "initial state")
            last = finals.get(k)
            if (k, last) in self.writer:
                for v in values:
                    if v != last:
                        self.follow(k, v, last, "final state")

    def follow(self, k, v, v2, why):
        self.next[(k, v)].setdefault(v2, why)

    def why(self, k, v, v2):
        return self.next.get((k, v), {}).get(v2)


class Graph:
    """Transaction dependency edges: out[a][b] is a bit mask of edge kinds (WW, WR, ...)."""

    def __init__(self):
        self.out = defaultdict(dict)

    def link(self, a, b, kind):
        if a != b:
            edges = self.out[a]
            edges[b] = edges.get(b, 0) | kind


def data_graph(versions, with_rw):
    """wr edges from writers to readers; ww and rw edges from every inferred v < v'."""
    graph = Graph()
    for (k, v), readers in versions.readers.items():
        writer = versions.writer.get((k, v)) if v is not None else None
        if writer is not None:
            for reader in readers:
                graph.link(writer.id, reader.id, WR)
    for (k, v), nexts in versions.next.items():
        writer = versions.writer.get((k, v)) if v is not None else None
        readers = versions.readers.get((k, v), ()) if with_rw else ()
        for v2 in nexts:
            later = versions.writer.get((k, v2))
            if later is None:
                continue
            if writer is not None:
                graph.link(writer.id, later.id, WW)
            for reader in readers:
                graph.link(reader.id, later.id, RW)
    return graph


def add_order_edges(graph, history, committed_ids, kinds):
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


# --- checker: cycle search -----------------------------------------------------------------

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


def explainer(by_id, versions):
    """explain(a, b, kind) -> a JSON step saying why txn a precedes txn b."""
    def explain(a, b, kind):
        ta, tb = by_id[a], by_id[b]
        step = {"from": ta.describe(), "to": tb.describe(), "type": KIND_NAMES[kind]}
        if kind == REALTIME:
            step.update({"completed": ta.id, "invoked": tb.invoked})
        elif kind == PROCESS:
            step["process"] = ta.process
        elif kind == WR:
            reads = ext_reads(tb.mops)
            k = next(k for k, v in ext_writes(ta.mops).items() if k in reads and reads[k] == v)
            step.update({"key": k, "value": reads[k]})
        elif kind in (WW, RW):
            mine = ext_writes(ta.mops) if kind == WW else ext_reads(ta.mops)
            theirs = ext_writes(tb.mops)
            for k, v in mine.items():
                why = versions.why(k, v, theirs.get(k, object()))
                if why is not None:
                    step.update({"key": k, "value": v, "value'": theirs[k], "via": why})
                    break
        return step
    return explain


# --- checker: verdicts ---------------------------------------------------------------------

def final_state(extra):
    """The agreed final value per key, and the keys on which nodes disagree."""
    if not extra or not extra.get("final"):
        return {}, []
    views = [dict((k, v) for k, v in pairs) for pairs in extra["final"].values()]
    finals, divergent = {}, []
    for k in sorted(set().union(*views)):
        values = {view.get(k) for view in views}
        if len(values) == 1:
            if None not in values:
                finals[k] = values.pop()
        else:
            divergent.append(k)
    return finals, divergent


def with_item_variants(types):
    """All our rw edges are item anti-dependencies, so G-single is also G-single-item (Adya)."""
    out = set(types)
    for t in types:
        for base in ("G-single", "G-nonadjacent"):
            if t == base or t.startswith(base + "-"):
                out.add(base + "-item" + t[len(base):])
    return out


def model_verdict(model, found):
    """Whether a model holds given the anomaly types found (cycle-exists names included)."""
    if model not in KNOWN_MODELS:
        return {"forbids": [], "found": [], "holds": "not-checked",
                "not_checked": ["unknown consistency model"]}
    models = implied_models(model)
    forbids = {"malformed"}.union(*(FORBIDS.get(m, ()) for m in models))
    present = closure(with_item_variants(found), ANOMALY_IMPLIES)
    violated = sorted(present & forbids)
    unseen = sorted(forbids & UNSEEN)
    if unseen and any(CYCLE_SPECS[s][0] & RW for s in model_specs(model)):
        unseen = []   # forbids every cycle without adjacent rw edges: subsumes these shapes
    if forbids == {"malformed"}:
        unseen = ["no transactional anomaly defined for this model"]
    holds = False if violated else ("not-checked" if unseen else True)
    shown = sorted(a for a in forbids if not a.endswith("-cycle-exists"))
    return {"forbids": shown, "found": violated, "holds": holds, "not_checked": unseen}


def simple_anomalies(txns, oks, finals):
    """Everything but cycles: malformed, internal, future-read, G1a, G1b, lost-update."""
    anomalies = defaultdict(list)
    failed = {(k, v): t for t in txns if t.type == "fail" for f, k, v in t.mops if f == "w"}
    for txn in oks:
        problem = malformed(txn)
        if problem:
            anomalies["malformed"].append({"op": txn.describe(), "problem": problem})
        for name, case in (("internal", internal_case(txn)),
                           ("future-read", future_read_case(txn))):
            if case:
                anomalies[name].append(case)
    g1a, g1b = read_anomalies(oks, failed, intermediate_writes(txns))
    anomalies["G1a"] += g1a
    anomalies["G1b"] += g1b
    for k, v in finals.items():
        if (k, v) in failed:
            anomalies["G1a"].append({"final_probe": [k, v], "writer": failed[(k, v)].describe()})
    anomalies["lost-update"] += lost_update_cases(oks)
    return anomalies


def cycle_anomalies(history, txns, finals, models):
    """Build the graph the models need, search it, and explain up to EXAMPLES cycles per type.
    Returns ({spec: stats}, {type: explained cycles}, {type: SCC count})."""
    specs = {"PL-1", "PL-2"}.union(*(model_specs(m) for m in models if m in KNOWN_MODELS))
    kinds = 0
    for name in specs:
        kinds |= CYCLE_SPECS[name][0]
    committed = committed_txns(txns, finals)
    by_id = {t.id: t for t in committed}
    versions = Versions(committed, finals)
    graph = data_graph(versions, with_rw=bool(kinds & RW))
    if kinds & (PROCESS | REALTIME):
        add_order_edges(graph, history, by_id, kinds)
    fired, cycles = find_cycles(graph, specs)
    explain = explainer(by_id, versions)
    examples = {name: [{"scc_size": size, "cycle": [explain(*step) for step in steps]}
                       for size, steps in found[:EXAMPLES]]
                for name, found in cycles.items()}
    return fired, examples, {name: len(found) for name, found in cycles.items()}


def check_history(history, models, extra=None):
    """The workload verdict: anomalies found, and per consistency model whether it holds."""
    txns = pair_txns(history)
    finals, divergent = final_state(extra)
    anomalies = simple_anomalies(txns, [t for t in txns if t.type == "ok"], finals)
    anomalies = {k: v for k, v in anomalies.items() if v}
    counts = {k: len(v) for k, v in anomalies.items()}
    fired, examples, cycle_counts = cycle_anomalies(history, txns, finals, models)
    anomalies.update(examples)
    counts.update(cycle_counts)

    cycle_exists = {f"{name}-cycle-exists" for name in fired}
    verdicts = {m: model_verdict(m, set(anomalies) | cycle_exists) for m in models}
    return {
        "valid": all(v["holds"] is True for v in verdicts.values()),
        "anomaly_types": sorted(anomalies),
        "anomaly_counts": dict(sorted(counts.items())),
        "anomalies": {k: v[:EXAMPLES] for k, v in sorted(anomalies.items())},
        "models": verdicts,
        "cycle_search": fired,
        "txn_count": len(txns),
        "final_state": {"probed": bool(extra), "keys": len(finals),
                        "divergent_count": len(divergent), "divergent_keys": divergent[:EXAMPLES]},
    }


WORKLOAD = TxnRwRegister
