#!/usr/bin/env python3
"""Benchmark for challenge 6c: run txn_rw_register.py under Fly.io's 6c flags with a real
partition nemesis a few times and print, per run, validity, availability and msgs-per-op.

    python3 bench/bench_txn.py [--runs 3] [--time-limit 20] [extra simulator flags...]
"""
import argparse
import os
import sys

from simrun import run_sim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS_6C = ["--node-count", "2", "--concurrency", "2n", "--rate", "1000",
            "--consistency-models", "read-committed", "--availability", "total",
            "--nemesis", "partition"]


def run_once(time_limit, extra):
    """One simulator run in a private store; returns its results.json as a dict."""
    with run_sim(["-w", "txn-rw-register", "--bin", os.path.join(ROOT, "txn_rw_register.py"),
                  "--time-limit", time_limit, *FLAGS_6C, *extra]) as (results, _):
        return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=20)
    args, extra = parser.parse_known_args()
    print("6c: txn-rw-register --node-count 2 --concurrency 2n --time-limit "
          f"{args.time_limit:g} --rate 1000 --consistency-models read-committed "
          "--availability total --nemesis partition")
    print(f"{'run':>3}  {'valid':5}  {'ops':>6}  {'ok-fraction':>11}  "
          f"{'servers msgs/op':>15}  anomalies")
    passed = 0
    for i in range(1, args.runs + 1):
        r = run_once(args.time_limit, extra)
        workload = r["checkers"].get("workload", {})
        passed += bool(r["valid"])
        print(f"{i:>3}  {str(r['valid']).lower():5}  {r.get('op_count', 0):>6}  "
              f"{r['availability']['ok_fraction']:>11.4f}  "
              f"{r['net']['servers']['msgs_per_op']:>15.4f}  "
              f"{','.join(workload.get('anomaly_types', [])) or '-'}", flush=True)
    print(f"{passed}/{args.runs} valid")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
