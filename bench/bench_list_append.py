#!/usr/bin/env python3
"""Benchmark txn_list_append.py on issue 16's three flag sets with the bundled simulator.

    python3 bench/bench_list_append.py                  seeds 1-3 on each flag set
    python3 bench/bench_list_append.py --seeds 1-10     the 10-of-10 check (about 16 min)
    python3 bench/bench_list_append.py --only pair --baseline
                                                        beside the whole-database-in-lin-kv
                                                        node (tests/nodes/list_append_linkv.py)
    python3 bench/bench_list_append.py --bin /tmp/old/txn_list_append.py   (another version)
    python3 bench/bench_list_append.py --seeds 1 --time-limit 5            (a quick look)

Runs go one after another (each takes its --time-limit of 30 s). Per run: validity (the
whole run and Elle's strict-serializable verdict), ops, servers msgs-per-op (Maelstrom's
:net stats: node-to-node and node-to-service messages per op), availability ok-fraction,
and client latency p50/p99 in ms over every completed op. Then, per flag set, how many runs
were valid and the medians and ranges, against the issue's targets: valid in every run;
servers msgs-per-op at most 1.0 on the pair flags; ok-fraction at least 0.99 without
partitions.
"""
import argparse
import statistics
import sys
from pathlib import Path

from simrun import run_sim

ROOT = Path(__file__).resolve().parent.parent
BASE = ["-w", "txn-list-append", "--rate", "100"]
FLAG_SETS = {   # name -> (flags, msgs-per-op target, ok-fraction target)
    "pair": (["--node-count", "2"], 1.0, 0.99),
    "pair-10n": (["--node-count", "2", "--concurrency", "10n"], None, 0.99),
    "three-partition": (["--node-count", "3", "--concurrency", "10n", "--nemesis", "partition"],
                        None, None),
}
BASELINE = ROOT / "tests" / "nodes" / "list_append_linkv.py"


def run_once(node, flags, seed, time_limit):
    """One simulator run; returns a dict of figures."""
    with run_sim([*BASE, "--time-limit", time_limit, "--bin", node, *flags, "--seed", seed]) \
            as (results, _):
        pass
    workload = results["checkers"]["workload"]
    return {"seed": seed, "valid": results["valid"] and workload["valid"],
            "ops": results["op_count"], "msgs": results["net"]["servers"]["msgs_per_op"],
            "ok": results["availability"]["ok_fraction"],
            "p50": results["op_latencies"]["0.5"], "p99": results["op_latencies"]["0.99"],
            "anomalies": workload.get("anomaly_types", []) + results.get("errors", [])[:1]}


def print_run(name, r):
    print(f"{name:16} {r['seed']:>4}  {str(r['valid']).lower():5}  {r['ops']:>5}  "
          f"{r['msgs']:>8.3f}  {r['ok']:>8.4f}  {r['p50']:>7.2f}  {r['p99']:>8.2f}  "
          f"{','.join(r['anomalies']) or '-'}", flush=True)


def verdict(value, target, at_least):
    if target is None:
        return ""
    met = value >= target if at_least else value <= target
    margin = value - target if at_least else target - value
    return f" (target {'>=' if at_least else '<='} {target}: " \
           f"{'met' if met else 'MISSED'} by {abs(margin):.3f})"


def summary(name, runs, msgs_target, ok_target):
    msgs, oks = [r["msgs"] for r in runs], [r["ok"] for r in runs]
    valid = sum(r["valid"] for r in runs)
    print(f"{name}: {valid}/{len(runs)} valid{' (target: all)' if valid < len(runs) else ''}")
    print(f"  servers msgs-per-op median {statistics.median(msgs):.3f} "
          f"[{min(msgs):.3f}-{max(msgs):.3f}]{verdict(max(msgs), msgs_target, False)}")
    print(f"  ok-fraction median {statistics.median(oks):.4f} "
          f"[{min(oks):.4f}-{max(oks):.4f}]{verdict(min(oks), ok_target, True)}")
    print(f"  latency ms: p50 median {statistics.median(r['p50'] for r in runs):.2f}, "
          f"p99 median {statistics.median(r['p99'] for r in runs):.2f} "
          f"(max {max(r['p99'] for r in runs):.2f})")


def seed_list(text):
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=seed_list, default=seed_list("1-3"),
                        help="e.g. 1-10 or 1,4,7 (default 1-3)")
    parser.add_argument("--only", nargs="*", choices=list(FLAG_SETS), help="flag sets to run")
    parser.add_argument("--bin", default=str(ROOT / "txn_list_append.py"))
    parser.add_argument("--time-limit", type=float, default=30, help="seconds (default 30)")
    parser.add_argument("--baseline", action="store_true",
                        help="also run the whole-database-in-lin-kv node on the same flags")
    args = parser.parse_args()
    nodes = [("", args.bin)] + ([("lin-kv root ", BASELINE)] if args.baseline else [])
    print(f"{'flags':16} {'seed':>4}  valid  {'ops':>5}  {'msgs/op':>8}  {'ok-frac':>8}  "
          f"{'p50 ms':>7}  {'p99 ms':>8}  anomalies")
    results = []
    for name in args.only or FLAG_SETS:
        flags, msgs_target, ok_target = FLAG_SETS[name]
        for label, node in nodes:
            runs = []
            for seed in args.seeds:
                runs.append(run_once(node, flags, seed, args.time_limit))
                print_run(label + name, runs[-1])
            results.append((label + name, runs, msgs_target, ok_target))
    print()
    for row in results:
        summary(*row)
    return 0 if all(r["valid"] for _, runs, _, _ in results for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
