"""Short simulator runs started all at once, for a test module's fixture."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_all(tmp_path_factory, runs, timeout=120):
    """runs: {name: `sim test` arguments}. Starts every run, each in its own directory (its
    store there, so results.json's run_dir is absolute), and waits for all; returns
    {name: (exit code, results.json as a dict)}."""
    procs = {}
    for name, args in runs.items():
        cwd = tmp_path_factory.mktemp(name)
        cmd = [sys.executable, "-m", "sim", "test", "--no-progress", "--store", str(cwd / "store"),
               *map(str, args)]
        procs[name] = (cwd, subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True,
                                             env={**os.environ, "PYTHONPATH": str(ROOT)}))
    out = {}
    for name, (cwd, proc) in procs.items():
        _, err = proc.communicate(timeout=timeout)
        results = cwd / "store" / "latest" / "results.json"
        assert results.exists(), err[-2000:]
        out[name] = (proc.returncode, json.loads(results.read_text()))
    return out
