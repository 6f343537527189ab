#!/usr/bin/env python3
"""Benchmark kafka_log.py on the 5c flags with the bundled simulator.

    python3 bench/bench_kafka.py                     3 runs on the 5c flags; each run, then
                                                     the medians
    python3 bench/bench_kafka.py --runs 10           more runs (e.g. the 10-of-10 check)
    python3 bench/bench_kafka.py --node-count 3 --seeds 1,2,3
    python3 bench/bench_kafka.py -- --latency 10     (extra simulator flags)

Figures per run: servers and all msgs-per-op (Maelstrom's :net stats), availability
ok-fraction, whether the kafka checker and the whole run are valid, ops, and the error types.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS_5C = ["--concurrency", "2n", "--time-limit", "20", "--rate", "1000"]


def run_once(seed, node_count, extra=()):
    """One simulator run; returns a dict of figures."""
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "sim", "test", "-w", "kafka", "--bin",
               str(ROOT / "kafka_log.py"), "--node-count", str(node_count), *FLAGS_5C, *extra,
               "--seed", str(seed), "--no-progress", "--store", store]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        results_path = Path(store) / "latest" / "results.json"
        if not results_path.exists():
            sys.exit(f"simulator failed:\n{proc.stderr[-2000:]}")
        results = json.loads(results_path.read_text())
    workload = results["checkers"]["workload"]
    return {"seed": seed, "valid": results["valid"], "checker": workload["valid"],
            "ops": results["op_count"],
            "servers": results["net"]["servers"]["msgs_per_op"],
            "all": results["net"]["all"]["msgs_per_op"],
            "ok": results["availability"]["ok_fraction"],
            "errors": workload.get("error_types", []) + results.get("errors", [])[:1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seeds", help="comma-separated seeds (default 1..runs)")
    parser.add_argument("--node-count", type=int, default=2)
    parser.add_argument("extra", nargs="*", help="extra simulator flags, after --")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else range(1, args.runs + 1)
    print(f"kafka_log.py, --node-count {args.node_count} {' '.join(FLAGS_5C + args.extra)}")
    print(f"{'seed':>4} {'valid':>5} {'checker':>7} {'ops':>6} {'servers/op':>10} "
          f"{'all/op':>7} {'ok-fraction':>11}  errors")
    rows = []
    for seed in seeds:
        r = run_once(seed, args.node_count, args.extra)
        rows.append(r)
        print(f"{r['seed']:>4} {str(r['valid']):>5} {str(r['checker']):>7} {r['ops']:>6} "
              f"{r['servers']:>10.4f} {r['all']:>7.3f} {r['ok']:>11.5f}  "
              f"{', '.join(map(str, r['errors'])) or '-'}", flush=True)
    valid = sum(r["valid"] for r in rows)
    print(f"median: servers msgs-per-op {statistics.median(r['servers'] for r in rows):.4f}, "
          f"all msgs-per-op {statistics.median(r['all'] for r in rows):.3f}, "
          f"availability {statistics.median(r['ok'] for r in rows):.5f}, "
          f"valid {valid}/{len(rows)}")


if __name__ == "__main__":
    main()
