#!/usr/bin/env python3
"""g_set.py and pn_counter.py on the issue's flags: validity, servers msgs-per-op, stable
latency (g-set) and read lag once adds stop (pn-counter), over several seeds.

    python3 bench/bench_crdt.py [--runs 3] [--jobs 1] [--seed 1] [--only NAME ...]
        [--lag-runs 10]
        runs each configuration below on the simulator with --seed S for S = seed ..
        seed + runs - 1 (`--jobs` at once), printing every run and a summary line; then
        the pn-counter read lag, as bench_gcounter.py --lag measures it: three
        pn_counter.py processes on a private in-process network, one cut off for the
        second half of 5 s of adds (deltas -5..4, half the ops) and healed when adds
        stop; how long until every node reads the true total.

Configurations (NAME: flags):
"""
import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gcounter import lag_run  # noqa: E402

GSET = ["-w", "g-set", "--bin", "./g_set.py"]
PN = ["-w", "pn-counter", "--bin", "./pn_counter.py"]
CONFIGS = {
    "gset-partition": GSET + ["--node-count", "5", "--time-limit", "30", "--rate", "10",
                              "--nemesis", "partition"],
    "gset-25": GSET + ["--node-count", "25", "--time-limit", "20", "--rate", "100",
                       "--latency", "100"],
    "gset-25-exp": GSET + ["--node-count", "25", "--time-limit", "20", "--rate", "100",
                           "--latency", "100", "--latency-dist", "exponential"],
    "pn-partition": PN + ["--node-count", "3", "--time-limit", "30", "--rate", "100",
                          "--nemesis", "partition"],
    "pn-5-latency": PN + ["--node-count", "5", "--time-limit", "20", "--rate", "100",
                          "--latency", "100", "--nemesis", "partition"],
}
__doc__ += "".join(f"    {name:15} {' '.join(flags)}\n" for name, flags in CONFIGS.items())


def sim_run(flags, seed):
    """One simulator run; returns its results.json (or None when it left none)."""
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "sim", "test", *flags, "--seed", str(seed),
               "--store", store, "--no-progress"]
        subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=600)
        path = os.path.join(store, "latest", "results.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)


def figures(results):
    """What a run shows: validity, msgs-per-op, stable latency and final reads."""
    if results is None:
        return {"valid": None, "mpo": None, "latency": None, "detail": "no results"}
    latency = results.get("stable_latencies") or {}
    workload = results["checkers"]["workload"]
    if "final_reads" in workload:
        detail = f"final reads {sorted(set(workload['final_reads']))}"
    else:
        detail = f"lost {workload.get('lost_count')}, stale {workload.get('stale_count')}"
    return {"valid": results["valid"], "mpo": results["net"]["servers"]["msgs_per_op"],
            "latency": (latency.get("0.5"), latency.get("1")) if latency else None,
            "detail": detail}


def bench_config(name, args):
    seeds = list(range(args.seed, args.seed + args.runs))
    print(f"== {name}: {' '.join(CONFIGS[name])}", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        runs = pool.map(lambda seed: (seed, figures(sim_run(CONFIGS[name], seed))), seeds)
        runs = [print_run(seed, run) for seed, run in runs]
    mpos = [r["mpo"] for r in runs if r["mpo"] is not None]
    passes = sum(r["valid"] is True for r in runs)
    line = f"{name}: {passes}/{len(runs)} valid"
    if mpos:
        line += f"; servers msgs-per-op median {statistics.median(mpos):.3f}, max {max(mpos):.3f}"
    latencies = [r["latency"] for r in runs if r["latency"] and r["latency"][0] is not None]
    if latencies:
        line += (f"; stable latency median {statistics.median(m for m, _ in latencies):.0f} ms "
                 f"(of the runs' medians), max {max(w for _, w in latencies)} ms")
    print(line, flush=True)
    return line


def print_run(seed, run):
    verdict = {True: "valid  ", False: "INVALID", None: "UNKNOWN"}[run["valid"]]
    mpo = "-" if run["mpo"] is None else f"{run['mpo']:.3f}"
    latency = "" if not run["latency"] else f"  stable latency {run['latency'][0]}/{run['latency'][1]} ms"
    print(f"  seed {seed:3}: {verdict} servers msgs-per-op {mpo}{latency}  {run['detail']}",
          flush=True)
    return run


def bench_lag(args):
    print("== pn-counter read lag: 3 nodes, 5 s of adds, one node cut off for the second half "
          "and healed when adds stop", flush=True)
    worst = []
    for seed in range(args.seed, args.seed + args.lag_runs):
        lags, total = asyncio.run(lag_run(seed, 5.0, "pn_counter.py", range(-5, 5), 0.5))
        worst.append(max(lags.values()))
        print(f"  seed {seed:3}: total {total:5}; every node read it "
              + ", ".join(f"{n} {lag * 1000:4.0f} ms" for n, lag in sorted(lags.items()))
              + " after the last add", flush=True)
    line = (f"pn-counter read lag until every node reads the true total: median "
            f"{statistics.median(worst) * 1000:.0f} ms, max {max(worst) * 1000:.0f} ms "
            f"over {len(worst)} runs")
    print(line, flush=True)
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--runs", type=int, default=3, help="seeds per configuration")
    parser.add_argument("--jobs", type=int, default=1, help="simulator runs at once")
    parser.add_argument("--seed", type=int, default=1, help="first seed")
    parser.add_argument("--only", nargs="*", choices=[*CONFIGS, "pn-lag"],
                        help="configurations to run (default: all, then pn-lag)")
    parser.add_argument("--lag-runs", type=int, default=10, help="pn-counter read-lag runs")
    args = parser.parse_args()
    chosen = args.only or [*CONFIGS, "pn-lag"]
    summary = [bench_lag(args) if name == "pn-lag" else bench_config(name, args)
               for name in chosen]
    print("\nsummary\n" + "\n".join(summary))


if __name__ == "__main__":
    main()
