"""broadcast.py under the simulator: valid with 1, 5 and 25 nodes, under partitions, and with
random latencies (validity only; timings are the benchmark's job: bench/bench_broadcast.py).
The node's exact wire behaviour is in tests/transcripts/broadcast*.txt."""

from pathlib import Path

import pytest

import sim_runs

ROOT = Path(__file__).resolve().parent.parent

# Each run is short, but every broadcast run ends with Maelstrom's 10 s recovery wait, so
# the runs overlap (they mostly sleep) and each test waits for its own. (The simulator starts an
# env-python3 node on its own interpreter, so 61 node starts at once cost ~3 s, not a version
# manager shim's ~9 s, well inside init's 10 s.)
RUNS = {
    "one node": ["--node-count", "1", "--time-limit", "3", "--rate", "10"],
    "five nodes": ["--node-count", "5", "--time-limit", "4", "--rate", "20"],
    "five nodes, partitions": ["--node-count", "5", "--time-limit", "6", "--rate", "20",
                               "--nemesis", "partition", "--nemesis-interval", "1",
                               "--latency", "10"],
    "25 nodes, latency 100": ["--node-count", "25", "--time-limit", "4", "--rate", "100",
                              "--latency", "100"],
    "25 nodes, exponential latency": ["--node-count", "25", "--time-limit", "4", "--rate", "100",
                                      "--latency", "100", "--latency-dist", "exponential"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    yield from sim_runs.running(tmp_path_factory, {
        name: sim_runs.argv("broadcast", ROOT / "broadcast.py", flags, seed=3)
        for name, flags in RUNS.items()})


def results_of(run):
    done = run.done()
    assert done.code == (0 if done.results["valid"] else 1)
    return done.results


def test_one_node_sends_nothing_to_other_servers(runs):
    results = results_of(runs["one node"])
    sim_runs.assert_every_element_stable(results)
    assert results["net"]["servers"]["send_count"] == 0


def test_five_nodes(runs):
    sim_runs.assert_every_element_stable(results_of(runs["five nodes"]))


def test_five_nodes_with_partitions(runs):
    sim_runs.assert_every_element_stable(results_of(runs["five nodes, partitions"]))


@pytest.mark.parametrize("name", ["25 nodes, latency 100", "25 nodes, exponential latency"])
def test_twenty_five_nodes(runs, name):
    results = results_of(runs[name])
    sim_runs.assert_every_element_stable(results)
    assert results["availability"]["ok_fraction"] == 1.0
