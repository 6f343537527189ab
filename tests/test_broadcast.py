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


def sim_run(tmp_path, *flags, node_args=()):
    """Run the simulator's broadcast workload on broadcast.py; return results.json."""
    cmd = [sys.executable, "-m", "sim", "test", "-w", "broadcast", "--bin",
           str(ROOT / "broadcast.py"), "--seed", "3", "--no-progress", *flags, "--", *node_args]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    results = tmp_path / "store" / "latest" / "results.json"
    assert results.exists(), proc.stderr[-2000:]
    data = json.loads(results.read_text())
    assert proc.returncode == (0 if data["valid"] else 1)
    return data


def assert_nothing_lost(results):
    workload = results["checkers"]["workload"]
    assert results["valid"] is True, results["errors"]
    assert workload["lost_count"] == 0
    assert workload["attempt_count"] > 0
    assert workload["stable_count"] == workload["attempt_count"]


def test_one_node(tmp_path):
    results = sim_run(tmp_path, "--node-count", "1", "--time-limit", "3", "--rate", "10")
    assert_nothing_lost(results)
    assert results["net"]["servers"]["send_count"] == 0


def test_five_nodes(tmp_path):
    results = sim_run(tmp_path, "--node-count", "5", "--time-limit", "4", "--rate", "20")
    assert_nothing_lost(results)


def test_five_nodes_with_partitions(tmp_path):
    results = sim_run(tmp_path, "--node-count", "5", "--time-limit", "6", "--rate", "20",
                      "--nemesis", "partition", "--nemesis-interval", "1", "--latency", "10")
    assert_nothing_lost(results)


@pytest.mark.parametrize("dist", ["constant", "exponential"])
def test_twenty_five_nodes_at_latency_100(tmp_path, dist):
    results = sim_run(tmp_path, "--node-count", "25", "--time-limit", "4", "--rate", "100",
                      "--latency", "100", "--latency-dist", dist)
    assert_nothing_lost(results)
    assert results["availability"]["ok_fraction"] == 1.0
