"""`make sim`: every challenge (and the g-set and pn-counter workloads) in turn on the bundled
simulator, then a results table.

Each challenge runs through its Makefile target (so the flags live in one place, the Makefile)
with Maelstrom deliberately hidden, so the simulator always runs. `--quick` shortens time limits.
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORE = os.path.join("store", "suite")      # its own store, so other runs cannot interleave
LATEST = os.path.join(ROOT, STORE, "latest", "results.json")

# (make target, node file, bounds beyond validity: servers msgs-per-op, median, max ms; Fly.io's,
# or for txn-list-append issue 16's msgs-per-op; None: no bound)
CHALLENGES = [
    ("c1", "echo.py", None),
    ("c2", "unique_ids.py", None),
    ("c3a", "broadcast.py", None),
    ("c3b", "broadcast.py", None),
    ("c3c", "broadcast.py", None),
    ("c3d", "broadcast.py", (30, 400, 600)),
    ("c3e", "broadcast.py", (20, 1000, 2000)),
    ("c4", "g_counter.py", None),
    ("c5a", "kafka_log.py", None),
    ("c5b", "kafka_log.py", None),
    ("c5c", "kafka_log.py", None),
    ("c6a", "txn_rw_register.py", None),
    ("c6b-ru", "txn_rw_register.py", None),
    ("c6b-partition", "txn_rw_register.py", None),
    ("c6c", "txn_rw_register.py", None),
    ("lin-kv", "lin_kv.py", (2.5, None, None)),   # Maelstrom's other workloads: the label is
    ("g-set", "g_set.py", None),                   # the target; bounds from their issues
    ("pn-counter", "pn_counter.py", (0.05, None, None)),
    ("txn-list-append", "txn_list_append.py", (1.0, None, None)),
]


def run_challenge(target, quick):
    """Run one Makefile target on the simulator; return its results.json dict or an error str."""
    args = f"--store {STORE}" + (" --time-limit 5" if quick else "")
    cmd = ["make", "-s", "--no-print-directory", target,
           "MAELSTROM=/nonexistent/maelstrom", f"ARGS={args}"]
    started = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if os.path.exists(LATEST) and os.path.getmtime(LATEST) >= started:
        with open(LATEST) as f:
            return json.load(f)
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return f"no results (exit {proc.returncode}): {tail[0]}"


def name(target):
    """c3d -> 3d; targets that are not Fly.io challenges keep their name."""
    return target[1:] if target[:1] == "c" and target[1:2].isdigit() else target


def within(value, limit):
    return limit is None or (value is not None and value < limit)


def row_for(target, result, bounds):
    """One table row: challenge, verdict, servers msgs-per-op, latency, availability."""
    if isinstance(result, str):
        return [name(target), result, "", "", ""], False
    msgs = result.get("net", {}).get("servers", {}).get("msgs_per_op")
    lat = result.get("stable_latencies") or {}
    median, worst = lat.get("0.5"), lat.get("1")
    avail = result.get("availability", {}).get("ok_fraction")
    passed = bool(result.get("valid"))
    verdict = "valid" if passed else "INVALID"
    if passed and bounds:
        limit_msgs, limit_median, limit_max = bounds
        if not (within(msgs, limit_msgs) and within(median, limit_median)
                and within(worst, limit_max)):
            passed, verdict = False, "valid, over its bounds"
    latency = f"{median}/{worst}" if median is not None else "-"
    cells = [name(target), verdict, fmt(msgs), latency, fmt(avail, 4)]
    return cells, passed


def fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows):
    header = ["challenge", "verdict", "servers msgs/op", "latency p50/max ms", "availability"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths]] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s time limits")
    parser.add_argument("--only", nargs="*", help="targets to run, e.g. c3d c4")
    opts = parser.parse_args(argv)
    rows, passed = [], 0
    selected = [c for c in CHALLENGES if not opts.only or c[0] in opts.only]
    for target, node_file, bounds in selected:
        print(f"== {name(target)}", file=sys.stderr, flush=True)
        if not os.path.exists(os.path.join(ROOT, node_file)):
            rows.append([name(target), f"missing ({node_file} not written)", "", "", ""])
            continue
        cells, ok = row_for(target, run_challenge(target, opts.quick), bounds)
        rows.append(cells)
        passed += ok
    print()
    print_table(rows)
    print(f"\n{passed}/{len(selected)} passed")
    return 0 if passed == len(selected) else 1


if __name__ == "__main__":
    sys.exit(main())
