"""Simulator runs in the background, for tests that start several at once (each spends most of
its time asleep in Maelstrom's recovery wait) and then wait for each one's results.

    runs = start(tmp_path_factory, {"name": (workload, node, [flags...]), ...}, seed=5)
    code, results = runs["name"].results()
    stop(runs)
or, in a module fixture, `yield from running(tmp_path_factory, {...})`; and the shared verdict
of a set-full run that lost nothing, assert_every_element_stable(results).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SimRun:
    """`python3 -m sim test` on one node program, in the background, with its own store."""

    def __init__(self, store, workload, node, flags, seed=5):
        self.store = store
        cmd = [sys.executable, "-m", "sim", "test", "-w", workload, "--bin", str(node),
               "--seed", str(seed), "--no-progress", "--store", str(store), *flags]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})

    def results(self):
        """(exit code, results.json as a dict)"""
        _, err = self.proc.communicate(timeout=240)
        path = self.store / "latest" / "results.json"
        assert path.exists(), err[-2000:]
        assert "Traceback" not in err, err[-2000:]
        return self.proc.returncode, json.loads(path.read_text())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start(tmp_path_factory, specs, seed=5):
    """{name: (workload, node, flags)} -> {name: SimRun}, all started at once."""
    return {name: SimRun(tmp_path_factory.mktemp("store"), workload, node, flags, seed)
            for name, (workload, node, flags) in specs.items()}


def stop(runs):
    for run in runs.values():
        run.stop()


def running(tmp_path_factory, specs, seed=5):
    """For a module fixture: start the runs, yield them, stop any still running."""
    runs = start(tmp_path_factory, specs, seed)
    try:
        yield runs
    finally:
        stop(runs)


def assert_every_element_stable(results):
    """A valid set-full run (broadcast, g-set): every element added became stable."""
    workload = results["checkers"]["workload"]
    assert results["valid"] is True, results["errors"]
    assert workload["lost_count"] == 0
    assert workload["stable_count"] == workload["attempt_count"] > 0
    assert set(results["stable_latencies"]) == {"0", "0.5", "0.95", "0.99", "1"}
