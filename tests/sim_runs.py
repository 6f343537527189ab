"""Short simulator runs for tests: all started at once, each a `python3 -m sim test`
subprocess with its own store, then awaited together (so a test module's runs overlap)."""

import json
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

Done = namedtuple("Done", "code results dir stdout stderr")


def run_all(tmp_path_factory, argvs, timeout=180):
    """{name: arguments after `sim test`} -> {name: Done}; dir is the run's directory."""
    procs = {}
    for name, argv in argvs.items():
        store = tmp_path_factory.mktemp(name)
        cmd = [sys.executable, "-m", "sim", "test", *map(str, argv), "--no-progress",
               "--store", str(store)]
        procs[name] = (store, subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                               stderr=subprocess.PIPE, text=True))
    out = {}
    for name, (store, proc) in procs.items():
        stdout, stderr = proc.communicate(timeout=timeout)
        run_dir = (store / "latest").resolve()
        assert (run_dir / "results.json").exists(), stderr[-3000:]
        results = json.loads((run_dir / "results.json").read_text())
        out[name] = Done(proc.returncode, results, run_dir, stdout, stderr)
    return out
