"""g_set.py and pn_counter.py under the simulator: short runs on the issue's flags, partitions
and latency included (validity only; figures are bench/bench_crdt.py's job). Their wire
behaviour is in tests/transcripts/g_set.txt and pn_counter.txt."""

from pathlib import Path

import pytest

import sim_runs

ROOT = Path(__file__).resolve().parent.parent

PARTITIONS = ["--nemesis", "partition", "--nemesis-interval", "1"]
RUNS = {
    "g-set, 5 nodes, partitions": ("g-set", ["--node-count", "5", "--time-limit", "5",
                                             "--rate", "20", "--latency", "10", *PARTITIONS]),
    "g-set, 25 nodes, latency 100": ("g-set", ["--node-count", "25", "--time-limit", "3",
                                               "--rate", "100", "--latency", "100"]),
    "pn-counter, 3 nodes, partitions": ("pn-counter", ["--node-count", "3", "--time-limit", "5",
                                                       "--rate", "100", *PARTITIONS]),
    "pn-counter, 5 nodes, latency 100, partitions": (
        "pn-counter", ["--node-count", "5", "--time-limit", "4", "--rate", "100",
                       "--latency", "100", "--latency-dist", "exponential", *PARTITIONS]),
}
NODES = {"g-set": "g_set.py", "pn-counter": "pn_counter.py"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    yield from sim_runs.running(tmp_path_factory, {
        name: sim_runs.argv(workload, ROOT / NODES[workload], flags, seed=4)
        for name, (workload, flags) in RUNS.items()})


@pytest.mark.parametrize("name", [n for n in RUNS if n.startswith("g-set")])
def test_g_set_loses_no_element(runs, name):
    code, results = runs[name].done()[:2]
    assert code == 0
    sim_runs.assert_every_element_stable(results)


@pytest.mark.parametrize("name", [n for n in RUNS if n.startswith("pn-counter")])
def test_pn_counter_final_reads_agree_on_an_acceptable_total(runs, name):
    code, results = runs[name].done()[:2]
    workload = results["checkers"]["workload"]
    assert code == 0 and results["valid"] is True, results["errors"]
    flags = RUNS[name][1]
    assert len(workload["final_reads"]) == int(flags[flags.index("--node-count") + 1])
    assert len(set(workload["final_reads"])) == 1
    adds = results["checkers"]["stats"]["by_f"]["add"]
    assert adds["ok_count"] > 20
