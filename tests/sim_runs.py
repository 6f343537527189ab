"""Simulator runs for tests: `python3 -m sim test` subprocesses, each with its own store, started
at once (most of a short run is spent asleep, e.g. in Maelstrom's recovery wait) and awaited
together.

    runs = run_all(tmp_path_factory, {"name": ["-w", "echo", "--bin", node, ...]})
    runs["name"].code, .results (results.json), .dir (the run directory), .stdout, .stderr
or, in a module fixture that reads each run only when a test needs it,
    yield from running(tmp_path_factory, {"name": argv(...)})    # -> {name: SimRun}
    done = runs["name"].done()
and the verdict every set-full run that lost nothing shares, assert_every_element_stable.
"""
import json
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

Done = namedtuple("Done", "code results dir stdout stderr")


def argv(workload, node, flags=(), seed=5):
    """`sim test` arguments for a node program."""
    return ["-w", workload, "--bin", node, "--seed", seed, *flags]


class SimRun:
    """One `python3 -m sim test` in the background, with its own store."""

    def __init__(self, store, args):
        self.store = store
        cmd = [sys.executable, "-m", "sim", "test", "--no-progress", "--store", str(store),
               *map(str, args)]            # args last: node arguments may follow a "--"
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.finished = None

    def done(self, timeout=240):
        """Waits for the run: a Done whose results.json must exist."""
        if self.finished is None:
            stdout, stderr = self.proc.communicate(timeout=timeout)
            run_dir = (self.store / "latest").resolve()
            assert (run_dir / "results.json").exists(), stderr[-3000:]
            assert "Traceback" not in stderr, stderr[-3000:]
            results = json.loads((run_dir / "results.json").read_text())
            self.finished = Done(self.proc.returncode, results, run_dir, stdout, stderr)
        return self.finished

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def running(tmp_path_factory, argvs):
    """For a module fixture: start every run, yield {name: SimRun}, stop any still running."""
    runs = {name: SimRun(tmp_path_factory.mktemp("store"), args) for name, args in argvs.items()}
    try:
        yield runs
    finally:
        for run in runs.values():
            run.stop()


def run_all(tmp_path_factory, argvs, timeout=240):
    """{name: arguments after `sim test`} -> {name: Done}, every run started at once."""
    for runs in running(tmp_path_factory, argvs):
        return {name: run.done(timeout) for name, run in runs.items()}


def assert_every_element_stable(results):
    """A valid set-full run (broadcast, g-set): every element added became stable."""
    workload = results["checkers"]["workload"]
    assert results["valid"] is True, results["errors"]
    assert workload["lost_count"] == 0
    assert workload["stable_count"] == workload["attempt_count"] > 0
    assert set(results["stable_latencies"]) == {"0", "0.5", "0.95", "0.99", "1"}
