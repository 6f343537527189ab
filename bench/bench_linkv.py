#!/usr/bin/env python3
"""Benchmark: lin-kv on the simulator, and the linearizability checker's time on those runs.

Runs the simulator, one run at a time, on the Raft tutorial's flags (`--node-count 3
--concurrency 4n --rate 30 --time-limit 60 --nemesis partition --nemesis-interval 10`) and on
the stress flags (`--concurrency 10n --rate 100 --nemesis-interval 3`), with correct nodes:
the lin-kv proxy calibration node and ./lin_kv.py. Prints per run the verdict, ops, how the ops
went (served: ok or a definite 20/22 answer; refused: another definite error; indefinite), the
keys, the indefinite writes and cas the search had to place, and the checker's time in total
and per key (key:ms).

    python3 bench/bench_linkv.py [--seed 1] [--only SUBSTRING] [--time-limit 60]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORE = os.path.join(ROOT, "store", "bench-linkv")
FLAG_SETS = {
    "tutorial": "--node-count 3 --concurrency 4n --rate 30 --nemesis partition --nemesis-interval 10",
    "stress": "--node-count 3 --concurrency 10n --rate 100 --nemesis partition --nemesis-interval 3",
}
NODES = {
    "proxy": os.path.join(ROOT, "sim", "calibration", "calib_linkv_proxy.py"),
    "lin_kv.py": os.path.join(ROOT, "lin_kv.py"),
}
SERVED_CODES = (20, 22)


def run(node, flags, time_limit, seed):
    cmd = [sys.executable, "-m", "sim", "test", "-w", "lin-kv", "--bin", node, *flags.split(),
           "--time-limit", str(time_limit), "--seed", str(seed), "--store", STORE, "--no-progress"]
    started = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - started
    latest = os.path.join(STORE, "latest")
    with open(os.path.join(latest, "results.json")) as f:
        results = json.load(f)
    with open(os.path.join(latest, "history.jsonl")) as f:
        history = [json.loads(line) for line in f]
    return results, history, wall


def outcomes(history):
    """Fractions of client ops served (ok, or error 20/22), refused (other fails), indefinite."""
    counts = Counter()
    for op in history:
        if op.get("process") == "nemesis" or op["type"] == "invoke":
            continue
        code = (op.get("error") or [None])[0]
        if op["type"] == "ok" or (op["type"] == "fail" and code in SERVED_CODES):
            counts["served"] += 1
        else:
            counts["refused" if op["type"] == "fail" else "indefinite"] += 1
    total = sum(counts.values()) or 1
    return {k: counts[k] / total for k in ("served", "refused", "indefinite")}


def row(label, results, history, wall):
    workload = results["checkers"]["workload"]
    per_key = workload.get("results", {})
    infos = sum(r["indefinite_ops"] for r in per_key.values())
    slowest = max((r["check_ms"] for r in per_key.values()), default=0)
    shares = outcomes(history)
    verdict = {True: "valid", False: "INVALID"}.get(results["valid"], "unknown")
    print(f"{label:22} {verdict:8} {results['op_count']:6} {shares['served']:6.3f} "
          f"{shares['refused']:7.3f} {shares['indefinite']:6.3f} {len(per_key):4} {infos:5} "
          f"{workload.get('check_ms', 0):8} {slowest:7} {wall:6.1f}", flush=True)
    print("    per key (key:ms) " + " ".join(f"{k}:{r['check_ms']}" for k, r in per_key.items()),
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--only", default="", help="run only node/flag-set names with this")
    args = parser.parse_args()
    print(f"{'node / flags':22} {'verdict':8} {'ops':>6} {'served':>6} {'refused':>7} "
          f"{'indef':>6} {'keys':>4} {'infos':>5} {'check ms':>8} {'max key':>7} {'wall s':>6}")
    for flag_name, flags in FLAG_SETS.items():
        for node_name, node in NODES.items():
            label = f"{node_name} / {flag_name}"
            if args.only in label:
                row(label, *run(node, flags, args.time_limit, args.seed))


if __name__ == "__main__":
    main()
