"""Elle's consistency models as data (consistency_model.clj and txn.clj's cycle-exists specs):
friendly and canonical names, which model implies which, the anomalies each forbids, which
anomaly implies which, and the verdict of one model given the anomaly types found.

A requested model holds (true) when none of the anomalies it forbids (with those of every model
it implies) is found and no cycle of its forbidden shape exists; false when one is;
"not-checked" when it forbids an anomaly this engine cannot see (listed under not_checked).
"""

from collections import defaultdict

from sim.elle.graph import DATA, PROCESS, REALTIME, RW, WR, WW

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
                                     "incompatible-order": ["G1a"], "dirty-update": ["G1a"],
                                     "lost-update": ["write-skew", "G2-item"],
                                     "write-skew": ["G2"], "G-single": ["GSIb"],
                                     "GSIa": ["GSI"], "GSIb": ["GSI"]})
for _base, _implied in _VARIANT_CHAINS.items():
    for _a, _b in (("", "-process"), ("-process", "-realtime")):
        ANOMALY_IMPLIES[_base + _a].append(_base + _b)
    for _suffix in ("", "-process", "-realtime"):
        ANOMALY_IMPLIES[_base + _suffix] += [i + _suffix for i in _implied]

# Anomalies this engine cannot observe: Adya's shape- or timestamp-specific phenomena
# (no start/commit times, no cursors). They count as checked only for models that forbid every
# cycle without two adjacent rw edges (snapshot isolation and up), which subsumes them.
UNSEEN = {"G-cursor", "G-monotonic", "G-MSR", "G-SI", "G-SIb", "G-update"}

# Elle's cycle-exists specs: model -> (edge kinds, whether rw edges must not be adjacent).
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


def forbidden(models):
    """Every anomaly one of the models forbids directly or through the models it implies."""
    out = {"malformed"}
    for model in models:
        if model in KNOWN_MODELS:
            for m in implied_models(model):
                out.update(FORBIDS.get(m, ()))
    return out


def reportable(anomaly, forbids):
    """Elle reports an anomaly only when it implies one the models forbid."""
    return bool(closure([anomaly], ANOMALY_IMPLIES) & forbids)


def order_kind(models):
    """The order edges Elle adds for the models: realtime when a forbidden anomaly has a
    realtime variant of a cycle, else process when one has a process variant, else none."""
    forbids = forbidden(models)
    for kind, suffix in ((REALTIME, "-realtime"), (PROCESS, "-process")):
        for base in _VARIANT_CHAINS:
            if reportable(base + suffix, forbids):
                return kind
    return 0


def model_verdict(model, found):
    """Whether a model holds given the anomaly types found (cycle-exists names included)."""
    if model not in KNOWN_MODELS:
        return {"forbids": [], "found": [], "holds": "not-checked",
                "not_checked": ["unknown consistency model"]}
    forbids = forbidden([model])
    present = closure(found, ANOMALY_IMPLIES)
    violated = sorted(present & forbids)
    unseen = sorted(forbids & UNSEEN)
    if unseen and any(CYCLE_SPECS[s][0] & RW for s in model_specs(model)):
        unseen = []   # forbids every cycle without adjacent rw edges: subsumes these shapes
    if forbids == {"malformed"}:
        unseen = ["no transactional anomaly defined for this model"]
    holds = False if violated else ("not-checked" if unseen else True)
    shown = sorted(a for a in forbids if not a.endswith("-cycle-exists"))
    return {"forbids": shown, "found": violated, "holds": holds, "not_checked": unseen}
