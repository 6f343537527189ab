#!/usr/bin/env python3
"""Benchmark for the lin-kv linearizability checker: prints, per history, the verdict (and
the expected one), ops, keys, configurations explored and the time the check took.

Histories: real Maelstrom lin-kv runs (sim/calibration/maelstrom-histories), Knossos's labelled
cas-register data (tests/fixtures/knossos, some memstress3-N files among them, plus any copies
under bench/data/knossos/{good,bad}, which are not kept in git), and synthetic Maelstrom-shaped
lin-kv histories (tests/linkv_histories.py) at the Raft tutorial's flags (--node-count 3
--concurrency 4n --rate 30 --time-limit 60, partitions every 10 s) and at --concurrency 10n
--rate 100: linearizable, with stale reads, and with a read of a never-written value at the
end of every key (the search must then exhaust every configuration); and "hostile" ones
beyond what Maelstrom generates (one key all run, a tenth of the ops indefinite). The
per-key timeout bounds every check: past it a key is "unknown" ("limit" below).

    python3 bench/bench_linearizable.py [--timeout 60] [--seeds 2] [--only SUBSTRING]
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from linkv_histories import linkv_history  # noqa: E402
from sim import edn  # noqa: E402
from sim.checkers.linearizable import check_history, check_register  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
TUTORIAL = dict(nodes=3, concurrency=12, rate=30.0, time_limit=60.0, latency=0.3,
                p_info=0.01, p_info_partitioned=0.2, partition_s=10.0)
STRESS = dict(TUTORIAL, concurrency=30, rate=100.0)
# Beyond what Maelstrom generates: one key for the whole run, a tenth of the ops indefinite.
HOSTILE = dict(TUTORIAL, concurrency=6, p_info=0.1, p_info_partitioned=0.1, max_processes=10**9)


def maelstrom_cases():
    folder = os.path.join(ROOT, "sim", "calibration", "maelstrom-histories")
    for stem, expected in (("linkv_proxy", True), ("linkv_seqkv", False)):
        path = os.path.join(folder, f"{stem}.edn.gz")
        yield f"maelstrom/{stem}", lambda p=path: edn.read_file(p), expected, check_history


def knossos_cases():
    check = lambda ops, timeout_s: check_register(ops, initial=0, timeout_s=timeout_s)  # noqa: E731
    for root in (os.path.join(FIXTURES, "knossos"), os.path.join(ROOT, "bench", "data", "knossos")):
        for label in ("good", "bad"):
            folder = os.path.join(root, label)
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                if ".edn" in name:
                    yield f"knossos/{label}/{name}", lambda p=os.path.join(folder, name): edn.read_file(p), \
                        label == "good", check


def bad_read_at_end(history):
    """Append, for every key, an ok read of a value no one wrote (7)."""
    out = list(history)
    for key in sorted({op["value"][0] for op in history}):
        process = f"bad-reader-{key}"
        out += [{"index": len(out), "type": "invoke", "process": process, "f": "read", "value": [key, None]},
                {"index": len(out) + 1, "type": "ok", "process": process, "f": "read", "value": [key, 7]}]
    return out


def synthetic_cases(seeds):
    for label, flags in (("tutorial 4n rate 30", TUTORIAL), ("stress 10n rate 100", STRESS),
                         ("hostile 1 key 10% info", HOSTILE)):
        for seed in range(seeds):
            make = lambda f=flags, s=seed, **kw: linkv_history(seed=s, **{**f, **kw})  # noqa: E731
            yield f"synthetic {label} seed {seed}", make, True, check_history
            yield f"synthetic {label} seed {seed} stale", lambda m=make: m(stale=0.02), None, check_history
            yield f"synthetic {label} seed {seed} bad-end", lambda m=make: bad_read_at_end(m()), \
                False, check_history


def run(name, load, expected, check, timeout_s):
    ops = load()
    started = time.monotonic()
    result = check(ops, timeout_s=timeout_s)
    seconds = time.monotonic() - started
    per_key = result.get("results", {None: result})
    configs = sum(r["configs"] for r in per_key.values())
    infos = sum(r["indefinite_ops"] for r in per_key.values())
    ok = "" if expected is None else ("ok" if result["valid"] is expected else "WRONG")
    if result["valid"] == "unknown":
        ok = "limit"  # the per-key budget ran out: bounded, not wrong
    print(f"{name:50} {len(ops):6} {len(per_key):4} {infos:5} {str(result['valid']):7} "
          f"{str(expected if expected is not None else '-'):8} {ok:5} {configs:9} {seconds:8.3f}",
          flush=True)
    return ok != "WRONG", seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="per-key timeout, seconds")
    parser.add_argument("--seeds", type=int, default=2, help="synthetic histories per shape")
    parser.add_argument("--only", default="", help="run only histories whose name has this")
    args = parser.parse_args()
    print(f"{'history':50} {'events':>6} {'keys':>4} {'infos':>5} {'valid':7} {'expected':8} "
          f"{'':5} {'configs':>9} {'seconds':>8}")
    cases = [*maelstrom_cases(), *knossos_cases(), *synthetic_cases(args.seeds)]
    results = [run(*case, args.timeout) for case in cases if args.only in case[0]]
    wrong = sum(not good for good, _ in results)
    print(f"{len(results)} histories, {wrong} wrong, slowest {max(s for _, s in results):.3f} s, "
          f"total {sum(s for _, s in results):.3f} s")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
