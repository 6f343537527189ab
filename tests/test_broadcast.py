"""broadcast.py under the simulator: valid with 1, 5 and 25 nodes, under partitions, and with
random latencies (validity only; timings are the benchmark's job: bench/bench_broadcast.py).
The node's exact wire behaviour is in tests/transcripts/broadcast*.txt."""

from pathlib import Path

import pytest

import simrun

ROOT = Path(__file__).resolve().parent.parent

# Each run is short, but every broadcast run ends with Maelstrom's 10 s recovery wait, so
# all of them start together (they mostly sleep) and each test waits for its own.
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
    yield from simrun.running(tmp_path_factory, {name: ("broadcast", ROOT / "broadcast.py", flags)
                                                 for name, flags in RUNS.items()}, seed=3)


def results_of(run):
    code, results = run.results()
    assert code == (0 if results["valid"] else 1)
    return results


def test_one_node_sends_nothing_to_other_servers(runs):
    results = results_of(runs["one node"])
    simrun.assert_every_element_stable(results)
    assert results["net"]["servers"]["send_count"] == 0


def test_five_nodes(runs):
    simrun.assert_every_element_stable(results_of(runs["five nodes"]))


def test_five_nodes_with_partitions(runs):
    simrun.assert_every_element_stable(results_of(runs["five nodes, partitions"]))


@pytest.mark.parametrize("name", ["25 nodes, latency 100", "25 nodes, exponential latency"])
def test_twenty_five_nodes(runs, name):
    results = results_of(runs[name])
    simrun.assert_every_element_stable(results)
    assert results["availability"]["ok_fraction"] == 1.0
