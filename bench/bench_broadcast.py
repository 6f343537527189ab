#!/usr/bin/env python3
"""Benchmark broadcast.py on the 3d/3e flags with the bundled simulator.

    python3 bench/bench_broadcast.py                 3 runs at the default settings; prints
                                                     each run and the medians
    python3 bench/bench_broadcast.py --sweep         one run per --stale-ms value; prints the
                                                     messages / latency trade-off table
    python3 bench/bench_broadcast.py --runs 5 --stale-ms 200 --time-limit 10 --seeds 1,2,3
    python3 bench/bench_broadcast.py -- --latency-dist exponential   (extra simulator flags)
    python3 bench/bench_broadcast.py --bin /tmp/old/broadcast.py     (another build of the node)

Figures per run: servers msgs-per-op (Fly.io's), stable latency median / max (ms), validity,
and the median read latency (ms) from the history: the price of pulling on read.
"""
import argparse
import json
import statistics
import sys
from pathlib import Path

from simrun import run_sim

ROOT = Path(__file__).resolve().parent.parent
FLAGS_3D = ["--node-count", "25", "--time-limit", "20", "--rate", "100", "--latency", "100"]
SWEEP_MS = [0, 200, 250, 300, 350, 400, 500, 700, 1000]


def run_once(seed, stale_ms=None, time_limit=None, extra=(), node=ROOT / "broadcast.py"):
    """One simulator run; returns a dict of figures."""
    flags = list(FLAGS_3D)
    if time_limit is not None:
        flags[flags.index("--time-limit") + 1] = str(time_limit)
    node_args = [] if stale_ms is None else ["--stale-ms", str(stale_ms)]
    with run_sim(["-w", "broadcast", "--bin", node, *flags, *extra,
                  "--seed", seed, "--", *node_args]) as (results, run_dir):
        read_ms = median_read_latency(run_dir / "history.jsonl")
    lat = results.get("stable_latencies") or {}
    return {"valid": results["valid"], "ops": results["op_count"],
            "msgs_per_op": results["net"]["servers"]["msgs_per_op"],
            "median": lat.get("0.5"), "max": lat.get("1"), "read_ms": read_ms}


def median_read_latency(path):
    """Median ms from a read's invocation to its completion."""
    if not path.exists():
        return None
    started, spans = {}, []
    for line in path.read_text().splitlines():
        op = json.loads(line)
        if op.get("f") != "read":
            continue
        if op["type"] == "invoke":
            started[op["process"]] = op["time"]
        elif op["process"] in started:
            spans.append((op["time"] - started.pop(op["process"])) / 1e6)
    return round(statistics.median(spans)) if spans else None


def row(label, r):
    return (f"{label:>10}  {str(r['valid']):>5}  {r['ops']:>5}  {r['msgs_per_op']:>8.3f}  "
            f"{_ms(r['median']):>7}  {_ms(r['max']):>6}  {_ms(r['read_ms']):>8}")


def _ms(value):
    return "-" if value is None else str(value)


HEADER = f"{'':>10}  {'valid':>5}  {'ops':>5}  {'msgs/op':>8}  {'median':>7}  {'max':>6}  {'read p50':>8}"


def chart(rows):
    """A text plot of the trade-off: one '#' per 0.05 msgs-per-op, one '*' per 25 ms."""
    lines = ["", "stale-ms  msgs-per-op (# = 0.05)           stable latency median (* = 25 ms)"]
    for stale, r in rows:
        bar = "#" * round(r["msgs_per_op"] / 0.05)
        stars = "*" * round((r["median"] or 0) / 25)
        lines.append(f"{stale:>8}  {bar:<32} {stars}")
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sweep", action="store_true", help="sweep --stale-ms")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--stale-ms", type=float, default=None)
    p.add_argument("--time-limit", type=float, default=None)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--bin", type=Path, default=ROOT / "broadcast.py", help="the node program")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"{args.bin} on the 3d/3e flags:", " ".join(FLAGS_3D + extra), flush=True)
    print("(msgs/op: servers msgs-per-op; median/max: stable latency ms; read p50: ms)")
    if args.sweep:
        print(f"{'stale-ms':>10}" + HEADER[10:])
        rows = []
        for stale in SWEEP_MS:
            r = run_once(seeds[0], stale, args.time_limit, extra, args.bin)
            rows.append((stale, r))
            print(row(str(stale), r), flush=True)
        print(chart(rows))
        return 0
    results = []
    print(f"{'run':>10}" + HEADER[10:])
    for i in range(args.runs):
        r = run_once(seeds[i % len(seeds)] + 100 * (i // len(seeds)), args.stale_ms,
                     args.time_limit, extra, args.bin)
        results.append(r)
        print(row(f"#{i + 1}", r), flush=True)
    med = {k: statistics.median(r[k] for r in results if r[k] is not None)
           for k in ("ops", "msgs_per_op", "median", "max", "read_ms")}
    med["valid"] = all(r["valid"] for r in results)
    med["ops"] = round(med["ops"])
    print(row("median", med))
    return 0 if med["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
