"""Command line: `python3 -m sim test ARGS`, where ARGS are `maelstrom test`'s plus --seed.

Positional arguments, and everything after `--`, are passed to the node binary. A bad flag
prints one line and exits 2. Simulator-only flags: --seed N, --store DIR (default store),
--no-progress, --recovery-wait SECONDS (default 10, Maelstrom's fixed wait; for fast tests),
--client-overhead MS (default 1: per-op worker turnaround standing in for Maelstrom's own
cost, so op counts match Maelstrom's; not part of the recorded latencies; 0 disables),
--report-window START:END (seconds of test time the report's message diagram shows; default
the first seconds and the last messages of the run), --linearizability-timeout SECONDS (lin-kv:
the search's budget per key, past which that key is "unknown"; default 300, generous: Maelstrom
has no such limit).

`python3 -m sim serve [--port 8080] [--store DIR]` browses the store's runs (sim.serve).
`python3 -m sim check RUN_DIR | FILE.edn -w WORKLOAD ...` checks a history again (sim.recheck,
dispatched by sim.__main__, since it builds on these options).
"""

import argparse
import random
import sys

from sim.checkers.linearizable import DEFAULT_TIMEOUT_S as LINEARIZABILITY_TIMEOUT_S

TOPOLOGIES = ("grid", "line", "tree2", "tree3", "tree4", "total")
LATENCY_DISTS = ("constant", "uniform", "exponential")
CONSISTENCY_MODELS = ("read-uncommitted", "read-committed", "repeatable-read", "snapshot-isolation",
                      "serializable", "strict-serializable", "linearizable", "sequential",
                      "causal", "consistent-view", "cursor-stability", "monotonic-atomic-view",
                      "update-serializable", "strong-session-serializable",
                      "strong-snapshot-isolation", "strong-serializable")


# Milliseconds a worker stays busy after each op completes, standing in for
# Maelstrom's own per-request cost; calibrated so op counts match the calibration rows.
CLIENT_OVERHEAD_MS = 1.0


class UsageError(Exception):
    pass


class Options:
    """Parsed options; the attribute names are the workload contract (contract-extra.md)."""

    def __init__(self, **kw):
        self.workload = "echo"
        self.bin = None
        self.bin_args = []
        self.node_count = 1
        self.default_nodes = False      # no --node-count: Jepsen's default n1..n5
        self.time_limit = 60.0
        self.rate = 5.0
        self.concurrency = 1
        self.latency = 0.0
        self.latency_dist = "constant"
        self.nemesis = set()
        self.nemesis_interval = 10.0
        self.availability = None
        self.consistency_models = ["strict-serializable"]
        self.topology = "grid"
        self.key_count = None           # None: the workload's (Maelstrom's) default
        self.max_txn_length = None
        self.max_writes_per_key = None
        self.seed = None
        self.log_stderr = False
        self.store = "store"
        self.progress = True
        self.recovery_wait = 10.0       # simulator-only: Maelstrom always waits 10 s
        self.client_overhead = CLIENT_OVERHEAD_MS
        self.report_window = None       # (start, end) seconds for the report's diagram
        self.linearizability_timeout = LINEARIZABILITY_TIMEOUT_S   # seconds per lin-kv key
        self.initial = None             # lin-kv's initial register value (sim check --initial)
        self.__dict__.update(kw)

    @property
    def node_ids(self):
        """n0..n{N-1} with --node-count N; without it Jepsen's default nodes n1..n5."""
        if self.default_nodes:
            return [f"n{i}" for i in range(1, self.node_count + 1)]
        return [f"n{i}" for i in range(self.node_count)]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise ValueError
    return value


def _non_negative(text):
    value = float(text)
    if value < 0 or value != value:
        raise ValueError
    return value


def _positive(text):
    value = float(text)
    if not value > 0:
        raise ValueError
    return value


def build_parser():
    p = _Parser(prog="python3 -m sim test", add_help=False)
    p.add_argument("-w", "--workload", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--node-count", type=_positive_int, default=None)
    p.add_argument("--time-limit", type=_non_negative, default=60.0)
    p.add_argument("--rate", type=_non_negative, default=5.0)
    p.add_argument("--concurrency", default="1n")
    p.add_argument("--latency", type=_non_negative, default=0.0)
    p.add_argument("--latency-dist", choices=LATENCY_DISTS, default="constant")
    p.add_argument("--nemesis", default="")
    p.add_argument("--nemesis-interval", type=_positive, default=10.0)
    p.add_argument("--availability", default=None)
    p.add_argument("--consistency-models", default="strict-serializable")
    p.add_argument("--topology", choices=TOPOLOGIES, default="grid")
    p.add_argument("--key-count", type=_positive_int, default=None)
    p.add_argument("--max-txn-length", type=_positive_int, default=None)
    p.add_argument("--max-writes-per-key", type=_positive_int, default=None)
    p.add_argument("--log-stderr", action="store_true")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--store", default="store")
    p.add_argument("--recovery-wait", type=_non_negative, default=10.0)
    p.add_argument("--client-overhead", type=_non_negative, default=CLIENT_OVERHEAD_MS)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--report-window", type=_window, default=None)
    p.add_argument("--linearizability-timeout", type=_positive, default=LINEARIZABILITY_TIMEOUT_S)
    p.add_argument("-h", "--help", action="store_true")
    return p


def parse_args(argv):
    """argv after `test` -> Options; raises UsageError with a one-line message."""
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = build_parser()
    try:
        ns, rest = parser.parse_known_args(argv)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    unknown = [a for a in rest if a.startswith("-")]
    if unknown:
        raise UsageError(f"unknown option {unknown[0]}")
    from sim.workloads import WORKLOADS
    if ns.workload not in WORKLOADS:
        raise UsageError(f"unknown workload {ns.workload!r}; one of {', '.join(sorted(WORKLOADS))}")
    node_count = ns.node_count or 5
    return Options(
        workload=ns.workload, bin=ns.bin, bin_args=rest + extra, node_count=node_count,
        default_nodes=ns.node_count is None,
        time_limit=ns.time_limit, rate=ns.rate,
        concurrency=_concurrency(ns.concurrency, node_count),
        latency=ns.latency, latency_dist=ns.latency_dist,
        nemesis=_nemesis(ns.nemesis), nemesis_interval=ns.nemesis_interval,
        availability=_availability(ns.availability),
        consistency_models=_models(ns.consistency_models), topology=ns.topology,
        seed=ns.seed if ns.seed is not None else random.randrange(2 ** 31),
        log_stderr=ns.log_stderr, store=ns.store, progress=not ns.no_progress,
        recovery_wait=ns.recovery_wait, client_overhead=ns.client_overhead,
        key_count=ns.key_count, max_txn_length=ns.max_txn_length,
        max_writes_per_key=ns.max_writes_per_key, report_window=ns.report_window,
        linearizability_timeout=ns.linearizability_timeout)


def _window(text):
    start, _, end = text.partition(":")
    try:
        start, end = float(start), float(end)
    except ValueError:
        start = end = None
    if start is None or not start < end:
        raise argparse.ArgumentTypeError(f"expected START:END seconds, START < END, not {text!r}")
    return start, end


def _concurrency(text, node_count):
    try:
        if text.endswith("n"):
            value = int(text[:-1] or "1") * node_count
        else:
            value = int(text)
    except ValueError:
        raise UsageError(f"--concurrency must be N or Nn, not {text!r}") from None
    if value <= 0:
        raise UsageError("--concurrency must be positive")
    return value


def _nemesis(text):
    faults = {f for f in (s.strip() for s in text.split(",")) if f}
    bad = faults - {"partition"}
    if bad:
        raise UsageError(f"unknown nemesis {sorted(bad)[0]!r}; supported: partition")
    return faults


def _availability(text):
    if text is None:
        return None
    if text == "total":
        return "total"
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--availability must be 'total' or a number, not {text!r}") from None
    if not 0 <= value <= 1:
        raise UsageError("--availability must be within [0, 1]")
    return value


def _models(text):
    from sim.elle.models import KNOWN_MODELS
    models = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in models if m not in CONSISTENCY_MODELS and m not in KNOWN_MODELS]
    if bad or not models:
        raise UsageError(f"unknown consistency model {bad[0] if bad else text!r}")
    return models


HELP = """usage: python3 -m sim test -w WORKLOAD --bin NODE [flags] [NODE ARGS] [-- NODE ARGS]

Maelstrom's flags: -w/--workload (echo unique-ids broadcast g-set g-counter pn-counter kafka
txn-rw-register txn-list-append lin-kv), --bin, --node-count N, --time-limit S (60),
--rate R (5), --concurrency N|Nn (1n), --latency MS (0),
--latency-dist constant|uniform|exponential, --nemesis partition,
--nemesis-interval S (10), --availability total|FRACTION, --consistency-models M[,M],
--topology grid|line|tree2|tree3|tree4|total, --log-stderr,
--key-count N, --max-txn-length N, --max-writes-per-key N (the txn workloads and kafka).
Simulator-only: --seed N, --store DIR (store), --no-progress, --recovery-wait S (10),
--client-overhead MS (1), --report-window START:END (seconds shown in report.html's message
diagram), --linearizability-timeout S (300: lin-kv's search budget per key; past it the key is
unknown).
Exit status: 0 valid, 1 invalid, 2 unknown, bad arguments, or a node that cannot start or init.

usage: python3 -m sim serve [--port 8080] [--store DIR]
Serves the store's runs (an index, each run's report.html and files) on 127.0.0.1.

usage: python3 -m sim check RUN_DIR
       python3 -m sim check FILE.edn[.gz] -w WORKLOAD [--node-count N]
           [--consistency-models M[,M]] [--availability total|FRACTION] [--initial VALUE]
           [--linearizability-timeout S] [--store DIR]
Runs the checkers again on a saved run (rewriting its results.json and report.html), or on a
Maelstrom/Jepsen history in EDN (a new directory in the store). --initial: lin-kv's starting
register value, in EDN (Knossos's data: 0). Exit status as for test; 2 also if unreadable."""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help", "help") or argv[1:2] in (["-h"], ["--help"]):
        print(HELP)
        return 0
    if argv and argv[0] == "serve":
        from sim.serve import main as serve
        return serve(argv[1:])
    if not argv or argv[0] != "test":
        print("usage: python3 -m sim test -w WORKLOAD --bin NODE [flags]  (--help for more)\n"
              "       python3 -m sim serve [--port 8080] [--store DIR]\n"
              "       python3 -m sim check RUN_DIR | FILE.edn -w WORKLOAD [flags]",
              file=sys.stderr)
        return 2
    try:
        opts = parse_args(argv[1:])
    except UsageError as e:
        print(f"sim: {e}", file=sys.stderr)
        return 2
    from sim.runner import run
    return run(opts)
