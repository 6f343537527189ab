#!/usr/bin/env python3
"""Benchmark kafka_log.py on the 5c flags with the bundled simulator.

    python3 bench/bench_kafka.py                     3 runs on the 5c flags; each run, then
                                                     the medians
    python3 bench/bench_kafka.py --runs 10           more runs (e.g. the 10-of-10 check)
    python3 bench/bench_kafka.py --node-count 3 --seeds 1,2,3
    python3 bench/bench_kafka.py -- --latency 10     (extra simulator flags)
    python3 bench/bench_kafka.py --bin /tmp/old/kafka_log.py    (another version)
    python3 bench/bench_kafka.py -- --nemesis partition
                                                     how long polls stall under partitions

Figures per run: servers and all msgs-per-op (Maelstrom's :net stats), server messages
("msgs": per-op figures move with the op count, which the machine's load moves), availability
ok-fraction, whether the kafka checker and the whole run are valid, ops, the error types,
and poll lag from the history: for each acknowledged send, the time until a poll first
returned it (median, p99 and max in ms, main-phase polls only; "final" counts the sends
no main-phase poll returned, seen first by the final polls after the heal), the partitions
that cut something and the longest, and the catch-up: the longest time from a heal to the
first poll returning a send held back by that partition.
"""
import argparse
import json
import statistics
from pathlib import Path

from simrun import run_sim

ROOT = Path(__file__).resolve().parent.parent
FLAGS_5C = ["--concurrency", "2n", "--time-limit", "20", "--rate", "1000"]


def run_once(seed, node_count, extra=(), node=ROOT / "kafka_log.py"):
    """One simulator run; returns a dict of figures."""
    with run_sim(["-w", "kafka", "--bin", node, "--node-count", node_count, *FLAGS_5C, *extra,
                  "--seed", seed]) as (results, run_dir):
        lag = poll_lag(run_dir / "history.jsonl")
    workload = results["checkers"]["workload"]
    return {"seed": seed, "valid": results["valid"], "checker": workload["valid"],
            "ops": results["op_count"],
            "servers": results["net"]["servers"]["msgs_per_op"],
            "server_msgs": results["net"]["servers"]["msg_count"],
            "all": results["net"]["all"]["msgs_per_op"],
            "ok": results["availability"]["ok_fraction"],
            "errors": workload.get("error_types", []) + results.get("errors", [])[:1], **lag}


def poll_lag(path):
    """Poll lag from a history (times in ms): for each acknowledged send, the time until a
    main-phase poll first returned it (median, p99, max); how many sends only the final
    polls returned; the partitions that cut something (count, longest, in s); and the
    catch-up after each heal in the main phase: from the heal to the first poll returning
    a send acknowledged during that partition and not returned before the heal (the
    longest, in ms)."""
    acked, seen, cuts, cut_since = {}, {}, [], None
    for line in path.read_text().splitlines():
        op = json.loads(line)
        if op["process"] == "nemesis":
            value = op["value"]
            if op["f"] == "start-partition" and isinstance(value, list) and value[1]:
                cut_since = op["time"]
            elif op["f"] == "stop-partition" and cut_since is not None:
                cuts.append((cut_since, op["time"], op["final"]))
                cut_since = None
            continue
        for mop in op["value"] if op["type"] == "ok" else []:
            if mop[0] == "send":
                acked[(mop[1], mop[2][0])] = op["time"]
            elif mop[0] == "poll":
                for key, pairs in mop[1].items():
                    for offset, _ in pairs:
                        seen.setdefault((key, offset), (op["time"], op["final"]))
    main = {s: t for s, (t, final) in seen.items() if not final}
    lags = sorted(max(0, main[s] - t) / 1e6 for s, t in acked.items() if s in main)
    catch_up = []
    for start, stop, final in cuts:
        stalled = [main[s] for s, t in acked.items() if start <= t < stop and main.get(s, 0) > stop]
        if stalled and not final:
            catch_up.append(min(stalled) - stop)
    pick = lambda q: round(lags[min(len(lags) - 1, int(q * len(lags)))]) if lags else None
    return {"lag_p50": pick(0.5), "lag_p99": pick(0.99), "lag_max": pick(1.0),
            "final_only": sum(1 for s in acked if s in seen and s not in main),
            "cuts": len(cuts), "longest_cut": max((b - a for a, b, _ in cuts), default=0) / 1e9,
            "catch_up": round(max(catch_up, default=0) / 1e6)}


def lag_text(r):
    return f"{r['lag_p50']}/{r['lag_p99']}/{r['lag_max']}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seeds", help="comma-separated seeds (default 1..runs)")
    parser.add_argument("--node-count", type=int, default=2)
    parser.add_argument("--bin", default=ROOT / "kafka_log.py", help="another version to measure")
    parser.add_argument("extra", nargs="*", help="extra simulator flags, after --")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else range(1, args.runs + 1)
    print(f"{args.bin}, --node-count {args.node_count} {' '.join(FLAGS_5C + args.extra)}")
    print(f"{'seed':>4} {'valid':>5} {'checker':>7} {'ops':>6} {'servers/op':>10} {'msgs':>5} "
          f"{'all/op':>7} {'ok-fraction':>11} {'poll lag ms p50/p99/max':>23} {'final':>5} "
          f"{'cuts':>4} {'longest s':>9} {'catch-up ms':>11}  errors")
    rows = []
    for seed in seeds:
        r = run_once(seed, args.node_count, args.extra, args.bin)
        rows.append(r)
        print(f"{r['seed']:>4} {str(r['valid']):>5} {str(r['checker']):>7} {r['ops']:>6} "
              f"{r['servers']:>10.4f} {r['server_msgs']:>5} {r['all']:>7.3f} {r['ok']:>11.5f} "
              f"{lag_text(r):>23} "
              f"{r['final_only']:>5} {r['cuts']:>4} {r['longest_cut']:>9.1f} {r['catch_up']:>11}  "
              f"{', '.join(map(str, r['errors'])) or '-'}", flush=True)
    valid = sum(r["valid"] for r in rows)
    print(f"median: servers msgs-per-op {statistics.median(r['servers'] for r in rows):.4f}, "
          f"all msgs-per-op {statistics.median(r['all'] for r in rows):.3f}, "
          f"availability {statistics.median(r['ok'] for r in rows):.5f}, "
          f"poll lag p50 {statistics.median(r['lag_p50'] for r in rows)} ms, "
          f"max {statistics.median(r['lag_max'] for r in rows)} ms, longest catch-up after a "
          f"heal {max(r['catch_up'] for r in rows)} ms, valid {valid}/{len(rows)}")


if __name__ == "__main__":
    main()
