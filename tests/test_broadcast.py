"""broadcast.py under the simulator: valid with 1, 5 and 25 nodes, under partitions, and with
random latencies (validity only; timings are the benchmark's job: bench/bench_broadcast.py).
The node's exact wire behaviour is in tests/transcripts/broadcast*.txt."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each run is short, but every broadcast run ends with Maelstrom's 10 s recovery wait, so
# the runs overlap (they mostly sleep) and each test waits for its own. They start one after
# another, each once the previous one's nodes are up: 61 node processes starting at once on a
# loaded machine can miss the simulator's 10 s init deadline.
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


class Run:
    """A simulator run of broadcast.py in the background."""

    def __init__(self, store, flags):
        self.store = store
        cmd = [sys.executable, "-m", "sim", "test", "-w", "broadcast", "--bin",
               str(ROOT / "broadcast.py"), "--seed", "3", "--store", str(store), *flags]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        # the first progress line comes once every node has answered init (or at an error)
        self.first_line = self.proc.stderr.readline()

    def results(self):
        _, err = self.proc.communicate(timeout=240)
        err = self.first_line + err
        path = self.store / "latest" / "results.json"
        assert path.exists(), err[-2000:]
        data = json.loads(path.read_text())
        assert self.proc.returncode == (0 if data["valid"] else 1)
        return data


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    started = {name: Run(tmp_path_factory.mktemp("store"), flags) for name, flags in RUNS.items()}
    yield started
    for run in started.values():
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()


def assert_nothing_lost(results):
    workload = results["checkers"]["workload"]
    assert results["valid"] is True, results["errors"]
    assert workload["lost_count"] == 0
    assert workload["attempt_count"] > 0
    assert workload["stable_count"] == workload["attempt_count"]


def test_one_node_sends_nothing_to_other_servers(runs):
    results = runs["one node"].results()
    assert_nothing_lost(results)
    assert results["net"]["servers"]["send_count"] == 0


def test_five_nodes(runs):
    assert_nothing_lost(runs["five nodes"].results())


def test_five_nodes_with_partitions(runs):
    assert_nothing_lost(runs["five nodes, partitions"].results())


@pytest.mark.parametrize("name", ["25 nodes, latency 100", "25 nodes, exponential latency"])
def test_twenty_five_nodes(runs, name):
    results = runs[name].results()
    assert_nothing_lost(results)
    assert results["availability"]["ok_fraction"] == 1.0
