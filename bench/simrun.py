"""One bundled-simulator run for a benchmark, in a private store.

    with run_sim(["-w", "kafka", "--bin", ..., "--seed", "3"]) as (results, run_dir):
        ...   # results: results.json as a dict; run_dir: history.jsonl, node-logs/, ...

The store is deleted when the block ends. A run that leaves no results.json ends the
benchmark with the simulator's stderr.
"""
import json
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def run_sim(args, timeout=None):
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "sim", "test", "--no-progress", "--store", store,
               *map(str, args)]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        run_dir = Path(store) / "latest"
        if not (run_dir / "results.json").exists():
            sys.exit(f"simulator failed:\n{proc.stderr[-2000:]}")
        yield json.loads((run_dir / "results.json").read_text()), run_dir
