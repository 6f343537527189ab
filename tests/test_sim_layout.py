"""The simulator's import graph: no cycles, and the checkers, the Elle engine and the history
never reach up into the runner, the workloads or the command line."""

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
PURE = ("sim.history", "sim.checkers", "sim.elle")
ABOVE = ("sim.runner", "sim.cli", "sim.check", "sim.workloads", "sim.nodes", "sim.services",
         "sim.nemesis", "sim.report", "sim.suite", "sim.calibrate", "sim.recheck")


def module_name(path):
    parts = list(path.relative_to(SIM.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports():
    """{module: set of sim modules it imports}, at module level or inside functions."""
    graph = {}
    for path in SIM.rglob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            deps.update(n for n in names if n.split(".")[0] == "sim")
        graph[module_name(path)] = deps
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def within(module, prefixes):
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_checkers_elle_and_history_import_nothing_above_them():
    graph = imports()
    assert "sim.checkers.kafka" in graph and "sim.elle.cycles" in graph
    bad = {(m, d) for m, deps in graph.items() if within(m, PURE)
           for d in deps if within(d, ABOVE)}
    assert bad == set()


def test_no_import_cycles():
    graph = imports()
    state = {}

    def visit(m, path):
        state[m] = "open"
        for d in graph[m]:
            if state.get(d) == "open":
                raise AssertionError(" -> ".join(path + [d]))
            if d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
