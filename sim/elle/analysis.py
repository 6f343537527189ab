"""From committed transactions and the version order a datatype inferred, to the checker's
result: the dependency graph the requested models need, its cycles found and explained, and
per model whether it holds (valid = every model holds).

As Elle's result map, only anomalies the requested models care about are reported (those
implying an anomaly one of them forbids), and a graph without a single edge makes the verdict
"unknown" (Elle's empty-transaction-graph) unless some model already fails. The graph has rw edges only when a requested model
forbids a cycle with one, and realtime or process edges when a model's cycle-exists spec
needs them; the typed cycle search sees only the order edges Elle would add (realtime, else
process: sim.elle.models.order_kind), so cycles get Elle's names, while each model is still
judged on the edges it needs (strict-serializable implies session models, for instance).

A datatype checker calls `analyse` with its own anomalies (those found without cycles) and
adds its own fields to the result.
"""

from sim.elle.cycles import cycle_exists, find_cycles
from sim.elle.graph import DATA, KIND_NAMES, PROCESS, REALTIME, RW, data_graph, order_edges
from sim.elle.models import (CYCLE_SPECS, KNOWN_MODELS, forbidden, model_specs, model_verdict,
                             order_kind, reportable)

EXAMPLES = 8
UNKNOWN = {"empty-transaction-graph"}   # Elle's anomalies that make a verdict unknown


def explainer(by_id, graph):
    """explain(a, b, kind) -> a JSON step saying why txn a precedes txn b."""
    def explain(a, b, kind):
        ta, tb = by_id[a], by_id[b]
        step = {"from": ta.describe(), "to": tb.describe(), "type": KIND_NAMES[kind]}
        if kind == REALTIME:
            step.update({"completed": ta.id, "invoked": tb.invoked})
        elif kind == PROCESS:
            step["process"] = ta.process
        else:
            k, v, v2, via = graph.why[(a, b, kind)]
            step.update({"key": k, "value": v})
            if via is not None:
                step.update({"value'": v2, "via": via})
        return step
    return explain


def cycle_anomalies(history, committed, versions, models):
    """Build the graph the models need and search it. Returns ({spec: stats},
    {type: explained cycles, up to EXAMPLES}, {type: count of components with one})."""
    specs = set().union(*(model_specs(m) for m in models if m in KNOWN_MODELS))
    kinds = 0
    for name in specs:
        kinds |= CYCLE_SPECS[name][0]
    by_id = {t.id: t for t in committed}
    graph = data_graph(versions, with_rw=bool(kinds & RW))
    elle_kind = order_kind(models)
    if (kinds | elle_kind) & (PROCESS | REALTIME):
        order_edges(graph, history, by_id, kinds | elle_kind)
    explain = explainer(by_id, graph)
    found = find_cycles(graph, DATA | elle_kind)
    examples = {name: [{"scc_size": size, "cycle": [explain(*step) for step in steps]}
                       for size, steps in cycles[:EXAMPLES]]
                for name, cycles in found.items()}
    counts = {name: len(cycles) for name, cycles in found.items()}
    if not any(graph.out.values()):
        examples["empty-transaction-graph"] = [{"txns": len(committed)}]
        counts["empty-transaction-graph"] = 1
    return cycle_exists(graph, specs | {"PL-1", "PL-2"}), examples, counts


def analyse(history, committed, versions, models, anomalies):
    """The verdict: the datatype's anomalies ({type: cases}) and the cycles found, those the
    models care about, up to EXAMPLES of each, with counts; per model whether it holds."""
    fired, examples, cycle_counts = cycle_anomalies(history, committed, versions, models)
    anomalies = {k: v for k, v in anomalies.items() if v}
    counts = {k: len(v) for k, v in anomalies.items()}
    anomalies.update(examples)
    counts.update(cycle_counts)
    forbids = forbidden(models)
    shown = sorted(k for k in anomalies if reportable(k, forbids) or k in UNKNOWN)
    cycle_exists_names = {f"{name}-cycle-exists" for name in fired}
    verdicts = {m: model_verdict(m, set(anomalies) | cycle_exists_names) for m in models}
    valid = all(v["holds"] is True for v in verdicts.values())
    if valid and UNKNOWN & set(anomalies):
        valid = "unknown"
    return {
        "valid": valid,
        "anomaly_types": shown,
        "anomaly_counts": {k: counts[k] for k in shown},
        "anomalies": {k: anomalies[k][:EXAMPLES] for k in shown},
        "models": verdicts,
        "cycle_search": fired,
    }
