"""From committed transactions and the version order a datatype inferred, to the checker's
result: the dependency graph the requested models need, its cycles found and explained, and
per model whether it holds (valid = every model holds).

A datatype checker calls `analyse` with its own anomalies (those found without cycles) and
adds its own fields to the result.
"""

from sim.elle.cycles import find_cycles
from sim.elle.graph import KIND_NAMES, PROCESS, REALTIME, RW, WR, WW, data_graph, order_edges
from sim.elle.models import CYCLE_SPECS, KNOWN_MODELS, model_specs, model_verdict

EXAMPLES = 8


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
            reads = versions.read[b]
            k = next(k for k, v in versions.wrote[a].items() if k in reads and reads[k] == v)
            step.update({"key": k, "value": reads[k]})
        elif kind in (WW, RW):
            mine = versions.wrote[a] if kind == WW else versions.read[a]
            theirs = versions.wrote[b]
            for k, v in mine.items():
                why = versions.why(k, v, theirs.get(k, object()))
                if why is not None:
                    step.update({"key": k, "value": v, "value'": theirs[k], "via": why})
                    break
        return step
    return explain


def cycle_anomalies(history, committed, versions, models):
    """Build the graph the models need, search it, and explain up to EXAMPLES cycles per type.
    Returns ({spec: stats}, {type: explained cycles}, {type: SCC count})."""
    specs = {"PL-1", "PL-2"}.union(*(model_specs(m) for m in models if m in KNOWN_MODELS))
    kinds = 0
    for name in specs:
        kinds |= CYCLE_SPECS[name][0]
    by_id = {t.id: t for t in committed}
    graph = data_graph(versions, with_rw=bool(kinds & RW))
    if kinds & (PROCESS | REALTIME):
        order_edges(graph, history, by_id, kinds)
    fired, cycles = find_cycles(graph, specs)
    explain = explainer(by_id, versions)
    examples = {name: [{"scc_size": size, "cycle": [explain(*step) for step in steps]}
                       for size, steps in found[:EXAMPLES]]
                for name, found in cycles.items()}
    return fired, examples, {name: len(found) for name, found in cycles.items()}


def analyse(history, committed, versions, models, anomalies):
    """The verdict: the datatype's anomalies ({type: cases}) and the cycles found, up to
    EXAMPLES of each, with counts; per consistency model whether it holds."""
    anomalies = {k: v for k, v in anomalies.items() if v}
    counts = {k: len(v) for k, v in anomalies.items()}
    fired, examples, cycle_counts = cycle_anomalies(history, committed, versions, models)
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
    }
