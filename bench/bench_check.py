#!/usr/bin/env python3
"""Benchmark for `python3 -m sim check`: prints, per history, the verdict (and the expected
one), events, keys, and the time spent reading the history and running the checkers.

Histories: Knossos's labelled cas-register data (tests/fixtures/knossos/{good,bad}, where the
memstress3-N files are, plus any under bench/data/knossos/), checked as one register from 0 as
Knossos does; Maelstrom's own recorded histories (sim/calibration/maelstrom-histories/); and a
60 s lin-kv run of ./lin_kv.py on the Raft tutorial's flags, made once with the simulator and
kept in bench/data/linkv-60s/ (--fresh makes it again), rechecked as `sim check RUN_DIR` does.
Every lin-kv check is bounded by --timeout seconds per key: past it that key is "unknown"
(shown as "limit"), so the bench never hangs.

    python3 bench/bench_check.py [--timeout 60] [--only SUBSTRING] [--fresh]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sim import recheck  # noqa: E402
from sim.check import results as check_results  # noqa: E402
from sim.workloads import load  # noqa: E402

KNOSSOS = [os.path.join(ROOT, "tests", "fixtures", "knossos"),
           os.path.join(ROOT, "bench", "data", "knossos")]
MAELSTROM = os.path.join(ROOT, "sim", "calibration", "maelstrom-histories")
# name -> (workload, Maelstrom's verdict), as sim/calibration/maelstrom-results/ records them
MAELSTROM_ROWS = {"gset_gossip_p": ("g-set", True), "lia_local_1": ("txn-list-append", True),
                  "lia_local_2": ("txn-list-append", False), "linkv_proxy": ("lin-kv", True),
                  "linkv_seqkv": ("lin-kv", False), "pn_maxmerge": ("pn-counter", False)}
LINKV_STORE = os.path.join(ROOT, "bench", "data", "linkv-60s")
TUTORIAL = ["-w", "lin-kv", "--bin", os.path.join(ROOT, "lin_kv.py"), "--node-count", "3",
            "--concurrency", "4n", "--rate", "30", "--time-limit", "60", "--nemesis",
            "partition", "--nemesis-interval", "10", "--seed", "1"]
COLUMNS = f"{'history':44} {'events':>6} {'keys':>4} {'valid':7} {'expected':8} {'':5} " \
          f"{'read s':>7} {'check s':>8}"


def edn_cases():
    """(name, path, workload, initial, expected) for every EDN history."""
    for root in KNOSSOS:
        for label in ("good", "bad"):
            folder = os.path.join(root, label)
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
                if ".edn" in name:
                    yield (f"knossos/{label}/{name}", os.path.join(folder, name), "lin-kv", "0",
                           label == "good")
    for stem, (workload, expected) in MAELSTROM_ROWS.items():
        yield f"maelstrom/{stem}", os.path.join(MAELSTROM, f"{stem}.edn.gz"), workload, None, \
            expected


def verdict_mark(valid, expected):
    if valid == "unknown":
        return "limit"       # the per-key budget ran out: bounded, not wrong
    return "ok" if valid is expected else "WRONG"


def keys_of(results):
    return (results["checkers"]["workload"].get("key_count") or "-")


def row(name, events, results, expected, read_s, check_s):
    mark = verdict_mark(results["valid"], expected)
    read = "-" if read_s is None else f"{read_s:.3f}"
    print(f"{name:44} {events:6} {keys_of(results):>4} {str(results['valid']):7} "
          f"{str(expected):8} {mark:5} {read:>7} {check_s:8.3f}", flush=True)
    return name, mark, check_s


def check_edn(name, path, workload, initial, expected, timeout):
    opts = recheck.edn_options(workload, initial=initial, linearizability_timeout=timeout)
    started = time.perf_counter()
    history = recheck.read_edn_history(path, load(workload))
    read = time.perf_counter()
    results = check_results(load(workload), history, opts, None)
    return row(name, len(history), results, expected, read - started,
               time.perf_counter() - read)


def linkv_run(fresh):
    """The 60 s lin-kv run directory, made with the simulator if it is not there yet."""
    latest = os.path.join(LINKV_STORE, "latest")
    if fresh or not os.path.exists(os.path.join(latest, "results.json")):
        print("(making a 60 s lin-kv run of ./lin_kv.py on the tutorial's flags ...)",
              file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "sim", "test", *TUTORIAL, "--store", LINKV_STORE,
                        "--no-progress"], cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
    return os.path.realpath(latest)


def check_run(run_dir, timeout):
    """`sim check RUN_DIR` on a copy of the run (its results.json is rewritten); the time is the
    whole recheck: reading, checking, writing results.json and report.html."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, os.path.basename(run_dir))
        shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("node-logs"))
        with open(os.path.join(copy, "history.jsonl")) as f:
            events = sum(1 for _ in f)
        original = recheck.read_json(os.path.join(copy, "results.json"))
        original["opts"]["linearizability_timeout"] = timeout
        recheck.report.write_json(os.path.join(copy, "results.json"), original)
        started = time.perf_counter()
        results = recheck.recheck_run(copy)
        seconds = time.perf_counter() - started
    per_key = results["checkers"]["workload"].get("results", {})
    print(f"  ({results['op_count']} ops; per key: "
          + ", ".join(f"key {k}: {r['check_ms']} ms" for k, r in per_key.items()) + ")",
          file=sys.stderr)
    return row("lin-kv 60 s run of lin_kv.py (sim check DIR)", events, results,
               original["valid"], None, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0, help="per-key budget, seconds")
    parser.add_argument("--only", default="", help="only histories whose name has this")
    parser.add_argument("--fresh", action="store_true", help="make the 60 s lin-kv run again")
    args = parser.parse_args()
    print(COLUMNS)
    marks = [check_edn(*case, args.timeout) for case in edn_cases() if args.only in case[0]]
    if args.only in "lin-kv 60 s run":
        marks.append(check_run(linkv_run(args.fresh), args.timeout))
    memstress = [s for name, _, s in marks if "memstress3" in name]
    if memstress:
        print(f"memstress3: {len(memstress)} histories, slowest {max(memstress):.3f} s, "
              f"total {sum(memstress):.3f} s")
    wrong = sum(mark == "WRONG" for _, mark, _ in marks)
    print(f"{len(marks)} histories, {wrong} wrong, "
          f"{sum(mark == 'limit' for _, mark, _ in marks)} past the budget, "
          f"slowest {max(s for *_, s in marks):.3f} s, total {sum(s for *_, s in marks):.3f} s")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
