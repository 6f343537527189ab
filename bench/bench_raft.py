#!/usr/bin/env python3
"""Benchmark: ./lin_kv.py (Raft) on the simulator - issue 15's figures and targets.

    python3 bench/bench_raft.py [--config tutorial] [--seeds 5] [--first-seed 1]
    python3 bench/bench_raft.py --correctness      # every configuration the issue names
    python3 bench/bench_raft.py --core [ARGS]      # the core alone on a fake clock
                                                   # (bench/bench_raft_core.py ARGS)

Each run is a real simulator run (`python3 -m sim test -w lin-kv --bin ./lin_kv.py`, one at a
time). Per run it prints the checker's verdict and, counting every client op: served (ok, or
a definite answer about the data: 20 key-does-not-exist, 22 precondition-failed), refused
(another definite error, 11), indefinite (timeouts); the latency p50/p99 of ok ops; server
messages per op; and, for each partition that cut the leader off from a majority that could
still talk, how long the majority side took to serve again: seconds from the cut to the
completion of the first write or cas served on a node of the majority side (invoked after
the cut), with in brackets the time to its new leader. The leader at each cut, and when a
new one took over, come from the nodes' logs (lin_kv.py logs leadership with its monotonic
clock and its first client op, which aligns the logs with the history). A cut healed before
anything was served is left out. Then the medians, and each target met or missed.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "bench")]
from bench_linkv import outcomes, run  # noqa: E402
from sim.history import History  # noqa: E402

NODE = os.path.join(ROOT, "lin_kv.py")
STORE = os.path.join(ROOT, "store", "bench-raft")
TUTORIAL = "--node-count 3 --concurrency 4n --rate 30 --nemesis partition --nemesis-interval 10"
CONFIGS = {
    "tutorial": TUTORIAL,
    "stress": "--node-count 3 --concurrency 10n --rate 100 --nemesis partition --nemesis-interval 3",
    "five": "--node-count 5 --concurrency 10n --rate 100 --nemesis partition",
    "exp": TUTORIAL + " --latency 50 --latency-dist exponential",
}
CORRECTNESS = [("tutorial", 10), ("stress", 5), ("five", 5), ("exp", 1)]
# (figure, better when "high" or "low", target) - issue 15, on the tutorial flags
TARGETS = [("served", "high", 0.78), ("indefinite", "low", 0.02), ("p50_ms", "low", 20),
           ("p99_ms", "low", 200), ("msgs_per_op", "low", 2.5), ("reelect_s", "low", 1.0)]
WRITES = ("write", "cas")
LEADER_LINE = re.compile(r"raft: leader of term (\d+) at monotonic ([\d.]+)")
FIRST_OP_LINE = re.compile(r"first client op at monotonic ([\d.]+)")


def leaderships(run_dir, history):
    """[(seconds of test time, term, node)] for every leadership, from the node logs."""
    logs, firsts = {}, []
    log_dir = os.path.join(run_dir, "node-logs")
    for name in sorted(os.listdir(log_dir)):
        with open(os.path.join(log_dir, name)) as f:
            logs[name[:-len(".log")]] = text = f.read()
        firsts += [float(m) for m in FIRST_OP_LINE.findall(text)]
    first_invoke = min(op.invoke_time for op in history.ops) / 1e9
    offset = min(firsts) - first_invoke
    return sorted((float(at) - offset, int(term), node)
                  for node, text in logs.items() for term, at in LEADER_LINE.findall(text))


def cuts(history, node_ids):
    """[(start s, end s, grudge)] for every partition, from the nemesis's records."""
    found, start = [], None
    for entry in history.nemesis:
        if entry["f"] == "start-partition" and isinstance(entry["value"], list):
            start = (entry["time"] / 1e9, entry["value"][1])
        elif entry["f"] == "stop-partition" and start and entry["value"] is None:
            found.append((*start[:1], entry["time"] / 1e9, start[1]))
            start = None
    if start:
        found.append((start[0], float("inf"), start[1]))
    return found


def majority_without(leader, grudge, node_ids):
    """The nodes that still talk both ways among themselves, if they are a majority and the
    leader talks both ways with none of them; else None."""
    def linked(a, b):
        return a not in grudge.get(b, ()) and b not in grudge.get(a, ())
    others = [n for n in node_ids if n != leader]
    side = [n for n in others if not linked(n, leader)
            and all(linked(n, m) for m in others if m != n)]
    return side if len(side) > len(node_ids) // 2 else None


def reelections(history, leaders, node_ids, concurrency):
    """[(serve-again s, new-leader s)] for each partition that cut the leader off."""
    found = []
    for start, end, grudge in cuts(history, node_ids):
        before = [(t, term, n) for t, term, n in leaders if t <= start]
        if not before:
            continue
        side = majority_without(max(before, key=lambda x: x[1])[2], grudge, node_ids)
        if side is None:
            continue
        served = [op.time / 1e9 for op in history.completed
                  if op.f in WRITES and op.invoke_time / 1e9 >= start and is_served(op)
                  and node_ids[op.process % concurrency % len(node_ids)] in side]
        elected = [t for t, _, n in leaders if start < t and n in side]
        if served and min(served) < end:
            found.append((min(served) - start, (min(elected) - start) if elected else None))
    return found


def is_served(op):
    return op.type == "ok" or (op.type == "fail" and (op.error or [None])[0] in (20, 22))


def figures(results, raw, wall):
    history = History(raw)
    opts = results["opts"]
    node_ids = [f"n{i}" for i in range(opts["node_count"])]
    latencies = sorted((op.time - op.invoke_time) / 1e6 for op in history.completed
                       if op.type == "ok")
    shares = outcomes(raw)
    leaders = leaderships(results["run_dir"], history)
    found = reelections(history, leaders, node_ids, opts["concurrency"])
    return {"valid": results["valid"], "ops": results["op_count"], **shares,
            "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
            "msgs_per_op": results["net"]["servers"]["msgs_per_op"],
            "cuts": found, "reelect_s": max((s for s, _ in found), default=None), "wall": wall}


def percentile(values, q):
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


def row(label, f):
    verdict = {True: "valid", False: "INVALID"}.get(f["valid"], "unknown")
    cuts_text = " ".join(f"{s:.2f}" + (f"({e:.2f})" if e is not None else "") for s, e in f["cuts"])
    print(f"{label:14} {verdict:8} {f['ops']:5} {f['served']:6.3f} {f['refused']:7.3f} "
          f"{f['indefinite']:6.3f} {f['p50_ms']:7.1f} {f['p99_ms']:7.1f} {f['msgs_per_op']:7.2f}"
          f"  {cuts_text or '-'}", flush=True)


HEADER = (f"{'config / seed':14} {'verdict':8} {'ops':>5} {'served':>6} {'refused':>7} "
          f"{'indef':>6} {'p50 ms':>7} {'p99 ms':>7} {'msgs/op':>7}  serve again after a "
          "leader cut off, s (new leader)")


def verdict_line(name, value, better, target):
    if value is None:
        return f"  {name:12} -        target {target}: no leader was cut off"
    met = value >= target if better == "high" else value <= target
    sign = ">=" if better == "high" else "<="
    by = abs(value - target)
    return (f"  {name:12} {value:<8.3f} target {sign} {target}: "
            f"{'met' if met else 'MISSED'} by {by:.3f}")


def summarize(results):
    """The medians over seeds, and each target met or missed."""
    print(f"\nmedian of {len(results)} runs "
          f"({sum(1 for r in results if r['valid'] is True)} valid):")
    for name, better, target in TARGETS:
        values = [r[name] for r in results if r[name] is not None]
        print(verdict_line(name, statistics.median(values) if values else None, better, target))
    worst = max((s for r in results for s, _ in r["cuts"]), default=None)
    count = sum(len(r["cuts"]) for r in results)
    if worst is not None:
        print(f"  worst serve-again over {count} leader cuts: {worst:.2f} s")


def main():
    if "--core" in sys.argv[1:]:
        args = [a for a in sys.argv[1:] if a != "--core"]
        sys.exit(subprocess.call([sys.executable, os.path.join(ROOT, "bench",
                                                              "bench_raft_core.py"), *args]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="tutorial")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--correctness", action="store_true",
                        help="run " + ", ".join(f"{n} x{k}" for n, k in CORRECTNESS))
    args = parser.parse_args()
    plan = CORRECTNESS if args.correctness else [(args.config, args.seeds)]
    print(HEADER)
    for config, seeds in plan:
        results = []
        for seed in range(args.first_seed, args.first_seed + seeds):
            f = figures(*run(NODE, CONFIGS[config], args.time_limit, seed, STORE))
            row(f"{config} {seed}", f)
            results.append(f)
        if config == "tutorial" or not args.correctness:
            summarize(results)
        else:
            print(f"  {config}: {sum(1 for r in results if r['valid'] is True)} of "
                  f"{len(results)} valid")


if __name__ == "__main__":
    main()
