"""Elle's typed cycle search (sim.elle.cycles.find_cycles) against brute force: on random small
graphs, every simple cycle is enumerated and named, and per component the types Elle would
report (in implication order, one implied by a type found there skipped) must be exactly the
types the search reports."""

import random

from sim.elle import cycles
from sim.elle.graph import DATA, PROCESS, REALTIME, RW, WR, WW, Graph
from sim.elle.models import ANOMALY_IMPLIES, closure


def simple_cycles(out, nodes):
    """Every simple cycle as [(txn, txn', kind), ...], once per choice of edge kinds, each
    found from its smallest txn."""
    found = []

    def extend(start, node, path, visited):
        for b, mask in out.get(node, {}).items():
            if b < start or b not in nodes:
                continue
            for kind in cycles.kinds_of(mask):
                if b == start:
                    found.append(path + [(node, b, kind)])
                elif b not in visited:
                    extend(start, b, path + [(node, b, kind)], visited | {b})

    for start in sorted(nodes):
        extend(start, start, [], {start})
    return found


def brute_force(graph, kinds):
    counts = {}
    for comp in cycles.component_sets(graph, kinds):
        out = {a: {b: m & kinds for b, m in graph.out.get(a, {}).items() if m & kinds}
               for a in comp}
        present = {cycles.classify([k for _, _, k in c]) for c in simple_cycles(out, comp)}
        implied = set()
        for name, *_ in cycles.CYCLE_TYPES:
            if name in present and name not in implied:
                counts[name] = counts.get(name, 0) + 1
                implied |= closure([name], ANOMALY_IMPLIES)
    return counts


def random_graph(rng):
    order = rng.choice([PROCESS, REALTIME, 0])
    graph, n = Graph(), rng.randint(2, 9)
    for _ in range(rng.randint(2, 22)):
        a, b = rng.sample(range(n), 2)
        graph.link(a, b, rng.choice([WW, WR, RW, RW] + ([order] if order else [])))
    return graph, DATA | order


def test_the_typed_search_reports_what_brute_force_enumeration_finds():
    rng = random.Random(12)
    seen = set()
    for _ in range(1500):
        graph, kinds = random_graph(rng)
        found = {name: len(c) for name, c in cycles.find_cycles(graph, kinds).items()}
        assert found == brute_force(graph, kinds), dict(graph.out)
        seen |= set(found)
    assert {"G0", "G1c", "G-single-item", "G-nonadjacent-item", "G2-item", "G0-process",
            "G-single-item-realtime", "G1c-realtime"} <= seen
