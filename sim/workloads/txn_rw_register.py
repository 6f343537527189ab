"""Maelstrom's txn-rw-register workload: transactions over integer registers, and a checker
for the read-committed family of anomalies, including the dirty writes Maelstrom cannot see.

Client: `txn {txn: [[f, k, v], ...]}` -> `txn_ok {txn}` with reads filled in (ints or null).
The client is reusable after an info (no reopen), and no op is idempotent.

Generator (Elle's wr-txns, as Maelstrom configures it): 1..4 micro-ops per transaction, each
a read or a write with equal odds, over a pool of 10 active keys (0..9 at first) picked with
an exponential distribution (base 2: each key is twice as likely as the one before it). Writes
to a key carry 1, 2, 3, ... so they are unique per key; a key that would get its 17th write is
retired and replaced by a fresh key (the largest active key + 1). No final phase.

Checker (Elle's rw-register, facts only, plus what the simulator alone can observe):
  internal  a read inside a transaction disagrees with that transaction's earlier write or
            read of the same key;
  G1a       aborted read: an ok transaction read a value written by a failed one (also
            reported when the final probe finds a failed write as a key's final value);
  G1b       intermediate read: an ok transaction read a value another transaction overwrote
            within itself;
  G0        dirty write: a cycle of write-write edges;
  G1c       circular information flow: a cycle of write-write and write-read edges.
wr edges: writer of k=v -> every ok transaction that read k=v first-hand. ww edges come from
  (a) writes follow reads: a transaction that read k=v and then wrote k comes after v's writer;
  (b) the final state, read by `probe()` from every node once the run is over: the writer of
      a key's final value comes after every other writer of that key.
(b) is what Maelstrom lacks: T1 writes x,y; T2 writes x,y; the final state holds x from T1
and y from T2 -> T2 -ww-> T1 (x) and T1 -ww-> T2 (y): a G0 cycle.
Elle's forbidden sets: read-uncommitted forbids G0; read-committed forbids G0, G1a, G1b and
G1c; stronger models forbid more (rw-edge cycles, realtime order, lost updates), which this
checker does not search for: those are listed per model under "not_checked", and such a
model "holds" only as "not-checked" (the run stays valid unless a checked anomaly is found).
Beyond Maelstrom, a txn_ok whose micro-ops do not match the request is a "malformed" anomaly.
"""

import asyncio
from collections import defaultdict, deque

from sim.schema import Nullable
from sim.workloads.base import ClientError, SchemaError, Workload

TXN_OK = {"txn": [(str, int, Nullable(int))]}
EXAMPLES = 8
PROBE_WAIT = 5.0  # seconds the probe waits for nodes to agree on the final state
PROBE_CHUNK = 4
PROBE_TIMEOUT = 1.0  # seconds per probe read

READ_UNCOMMITTED = ("G0",)
READ_COMMITTED = ("G0", "G1a", "G1b", "G1c")
# Elle's models that also forbid internal inconsistency (they imply a model listing it).
INTERNAL_MODELS = {
    "serializable", "conflict-serializable", "strict-serializable", "strong-serializable",
    "snapshot-isolation", "read-atomic", "causal-cerone", "prefix", "ROLA",
    "parallel-snapshot-isolation", "strong-session-snapshot-isolation",
    "strong-snapshot-isolation", "strong-session-serializable",
}
BEYOND_RC = ["G-single", "G2-item", "lost-update", "process/realtime order"]


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

    def check(self, history, ctx):
        return check_history(history, self.opts.consistency_models, ctx.extra)


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


# --- checker ------------------------------------------------------------------------------

class Txn:
    """One transaction: its completion type, micro-ops, and history position."""

    __slots__ = ("id", "type", "mops", "process", "invoke_value")

    def __init__(self, id, type, mops, process, invoke_value):
        self.id, self.type, self.mops = id, type, mops
        self.process, self.invoke_value = process, invoke_value

    def describe(self):
        return {"index": self.id, "type": self.type, "process": self.process, "value": self.mops}


def pair_txns(history):
    """Completed transactions (ok, info, fail) keyed by completion index, in history order."""
    pending, txns = {}, []
    for op in history:
        if op.get("process") == "nemesis" or op.get("f") != "txn":
            continue
        if op["type"] == "invoke":
            pending[op["process"]] = op
            continue
        invoke = pending.pop(op["process"], None)
        invoked = invoke["value"] if invoke else None
        mops = op.get("value") if op["type"] == "ok" else (op.get("value") or invoked)
        txns.append(Txn(op["index"], op["type"], mops or [], op["process"], invoked))
    for op in pending.values():  # never completed: treat as info
        txns.append(Txn(op["index"], "info", op["value"], op["process"], op["value"]))
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


def writers(txns):
    """{(k, v): txn} for the external writes of ok and info transactions."""
    index = {}
    for txn in txns:
        if txn.type != "fail":
            for k, v in ext_writes(txn.mops).items():
                index[(k, v)] = txn
    return index


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


class Graph:
    """Transaction dependency edges, labelled ww or wr with the key and values behind them."""

    def __init__(self):
        self.out = defaultdict(dict)  # id -> {id: {kind: why}}

    def link(self, a, b, kind, why):
        if a is not b:
            self.out[a.id].setdefault(b.id, {}).setdefault(kind, why)

    def successors(self, node, kinds):
        return [b for b, labels in self.out.get(node, {}).items() if not kinds.isdisjoint(labels)]

    def step(self, a, b, kinds):
        """One edge a -> b described by the first of `kinds` it carries."""
        labels = self.out[a][b]
        kind = next(k for k in kinds if k in labels)
        return {"type": kind, **labels[kind]}


def dependency_graph(oks, all_writers, ok_writers, finals):
    """wr edges, ww edges from writes-follow-reads, and ww edges from the final state."""
    graph = Graph()
    for txn in oks:
        writes = ext_writes(txn.mops)
        for k, v in ext_reads(txn.mops).items():
            if v is None:
                continue
            if (k, v) in ok_writers:
                graph.link(ok_writers[(k, v)], txn, "wr", {"key": k, "value": v})
            if k in writes and (k, v) in all_writers:
                why = {"key": k, "value": v, "value'": writes[k], "via": "writes-follow-reads"}
                graph.link(all_writers[(k, v)], txn, "ww", why)
    by_key = defaultdict(list)
    for (k, v), txn in all_writers.items():
        by_key[k].append((v, txn))
    for k, v in finals.items():
        last = all_writers.get((k, v))
        if last is None:
            continue
        for v0, txn in by_key[k]:
            graph.link(txn, last, "ww",
                       {"key": k, "value": v0, "value'": v, "via": "final state"})
    return graph


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


def path_within(graph, kinds, start, goal, members):
    """Shortest edge path start -> goal inside members, following edges of the given kinds."""
    prev = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt in graph.successors(node, kinds):
            if nxt in members and nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    path, node = [], goal
    while prev.get(node) is not None:
        path.append((prev[node], node))
        node = prev[node]
    return list(reversed(path))


def cycles(graph, kinds, required, by_id):
    """One explained cycle per SCC of the `kinds` subgraph that has a `required` edge."""
    found = []
    for comp in sccs(list(graph.out), lambda n: graph.successors(n, kinds)):
        edge = next(((a, b) for a in comp for b in graph.successors(a, {required})
                     if b in comp), None)
        if edge is None:
            continue
        back = path_within(graph, kinds, edge[1], edge[0], comp)
        steps = [(*edge, graph.step(*edge, (required,)))]
        steps += [(x, y, graph.step(x, y, sorted(kinds, reverse=True))) for x, y in back]
        found.append({"scc_size": len(comp), "cycle": [
            {"from": by_id[x].describe(), "to": by_id[y].describe(), **step}
            for x, y, step in steps]})
    return found


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


def model_verdict(model, anomalies):
    """Which anomalies this model forbids that we found, and what we could not check."""
    if "read-uncommitted" in model:
        forbidden, unchecked = READ_UNCOMMITTED, []
    elif "read-committed" in model:
        forbidden, unchecked = READ_COMMITTED, []
    else:
        forbidden = READ_COMMITTED + (("internal",) if model in INTERNAL_MODELS else ())
        unchecked = BEYOND_RC
    if model.startswith("strong"):
        unchecked = unchecked + ["process/realtime order"]
    forbidden = forbidden + ("malformed",)
    found = sorted(a for a in anomalies if a in forbidden)
    unchecked = sorted(set(unchecked))
    holds = False if found else ("not-checked" if unchecked else True)
    return {"forbids": list(forbidden), "found": found, "holds": holds, "not_checked": unchecked}


def check_history(history, models, extra=None):
    """The workload verdict: anomalies found, and per consistency model whether it holds."""
    txns = pair_txns(history)
    by_id = {t.id: t for t in txns}
    oks = [t for t in txns if t.type == "ok"]
    failed = {}
    for txn in txns:
        if txn.type == "fail":
            for f, k, v in txn.mops:
                if f == "w":
                    failed[(k, v)] = txn
    ok_writers = {kv: t for kv, t in writers(txns).items() if t.type == "ok"}
    all_writers = writers(txns)
    finals, divergent = final_state(extra)

    anomalies = defaultdict(list)
    for txn in oks:
        problem = malformed(txn)
        if problem:
            anomalies["malformed"].append({"op": txn.describe(), "problem": problem})
    for txn in oks:
        case = internal_case(txn)
        if case:
            anomalies["internal"].append(case)
    g1a, g1b = read_anomalies(oks, failed, intermediate_writes(txns))
    anomalies["G1a"] += g1a
    anomalies["G1b"] += g1b
    for k, v in finals.items():
        if (k, v) in failed:
            anomalies["G1a"].append({"final_probe": [k, v], "writer": failed[(k, v)].describe()})
    graph = dependency_graph(oks, all_writers, ok_writers, finals)
    anomalies["G0"] += cycles(graph, {"ww"}, "ww", by_id)
    anomalies["G1c"] += cycles(graph, {"ww", "wr"}, "wr", by_id)
    anomalies = {k: v for k, v in anomalies.items() if v}

    verdicts = {m: model_verdict(m, anomalies) for m in models}
    result = {
        "valid": all(v["holds"] is not False for v in verdicts.values()),
        "anomaly_types": sorted(anomalies),
        "anomaly_counts": {k: len(v) for k, v in sorted(anomalies.items())},
        "anomalies": {k: v[:EXAMPLES] for k, v in sorted(anomalies.items())},
        "models": verdicts,
        "txn_count": len(txns),
        "final_state": {"probed": bool(extra), "keys": len(finals),
                        "divergent_count": len(divergent), "divergent_keys": divergent[:EXAMPLES]},
    }
    return result


WORKLOAD = TxnRwRegister
