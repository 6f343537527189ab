"""`python3 -m sim check`: the checkers again, on a saved run or on a Maelstrom/Jepsen history.

    python3 -m sim check RUN_DIR
    python3 -m sim check FILE.edn[.gz] -w WORKLOAD [--node-count N] [--consistency-models M]
        [--availability A] [--initial VALUE] [--linearizability-timeout S] [--store DIR]

A run directory (as `sim test` leaves it) is checked with what the run saved beside its
history.jsonl: the options, net counts, exceptions and protocol errors in results.json, and
the workload's probe result in probe.json. The same call as at the end of a run
(sim.check.results) gives the same results.json (timings aside), written over the old one;
report.html is redrawn without the message diagram (the network journal is not saved); the
same summary is printed.

An EDN history (sim.edn: Maelstrom's history.edn, one op map per line, or one vector of op maps
as in Knossos's and Elle's data) becomes a simulator history: keywords become strings, :final?
becomes final, ops of `:process :nemesis` are kept for the record (and drawn) but not checked,
each op without an index gets its position, and the workload turns what Maelstrom's client
records differently into its own form (Workload.from_jepsen). It is checked as a run with those
options would be, and saved as a new directory in the store (history.jsonl, results.json,
report.html) that `sim check DIR` can check again.

What a history alone cannot give: the net counts (Maelstrom's net checker, which never fails)
are left out and "net" is null; no exceptions or protocol errors are known; availability
demands what --availability asks (nothing by default, as Maelstrom's); txn-rw-register has no
final-state probe (simulator-only), so it is checked on the history alone, as Elle checks
Maelstrom's. Everything else is the history's, so the verdict is Maelstrom's own checkers'.

Exit status: 0 valid, 1 invalid, 2 unknown, unreadable, or bad arguments.
"""

import json
import os
import sys

from sim import cli, edn, report
from sim.check import results as check_results
from sim.checkers import linearizable
from sim.history import History
from sim.workloads import WORKLOADS, WorkloadUnavailable, load

# Facts of the run that no checker recomputes, carried from the old results.json.
CARRIED = ("duration", "sim_delivery_lateness_ms", "source", "wall_seconds")
USAGE = ("usage: python3 -m sim check RUN_DIR\n"
         "       python3 -m sim check FILE.edn -w WORKLOAD [--consistency-models M] "
         "[--initial VALUE] ...\n"
         "       (--help for more)")


class Unreadable(Exception):
    """A run directory or history file that cannot be read."""


def build_parser():
    p = cli._Parser(prog="python3 -m sim check", add_help=False)
    p.add_argument("path")
    p.add_argument("-w", "--workload", default=None)
    p.add_argument("--node-count", type=cli._positive_int, default=None)
    p.add_argument("--consistency-models", default="strict-serializable")
    p.add_argument("--availability", default=None)
    p.add_argument("--initial", default=None)
    p.add_argument("--linearizability-timeout", type=cli._positive,
                   default=cli.LINEARIZABILITY_TIMEOUT_S)
    p.add_argument("--store", default="store")
    return p


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(cli.HELP if argv else USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    try:
        args = build_parser().parse_args(argv)
        if not os.path.isdir(args.path) and args.workload is None:
            raise cli.UsageError(f"{args.path} is not a run directory: an EDN history needs -w")
        if args.workload is not None and args.workload not in WORKLOADS:
            raise cli.UsageError(f"unknown workload {args.workload!r}")
    except (cli.UsageError, ValueError, TypeError) as e:
        print(f"sim check: {e}\n{USAGE}", file=sys.stderr)
        return 2
    try:
        if os.path.isdir(args.path):
            results = recheck_run(args.path)
        else:
            results = check_edn(args.path, edn_options(**vars(args)))
    except cli.UsageError as e:
        print(f"sim check: {e}", file=sys.stderr)
        return 2
    except (Unreadable, WorkloadUnavailable) as e:
        print(f"sim check: cannot read {args.path}: {e}", file=sys.stderr)
        return 2
    report.print_summary(results, sys.stdout)
    return {True: 0, False: 1}.get(results["valid"], 2)


# --- a saved run ------------------------------------------------------------------------------

def recheck_run(run_dir):
    """Check a run directory again; rewrites its results.json and report.html."""
    saved = read_json(os.path.join(run_dir, "results.json"))
    history = read_jsonl(os.path.join(run_dir, "history.jsonl"))
    probe_path = os.path.join(run_dir, report.PROBE)
    probe = read_json(probe_path) if os.path.exists(probe_path) else None
    try:
        opts = saved_options(saved["opts"])
        workload = workload_for(opts.workload, history)
        checkers = saved["checkers"]
        exceptions = checkers["exceptions"]["exceptions"]
        errors = checkers["protocol"]["errors"]
        net = saved.get("net")
    except (KeyError, TypeError) as e:
        raise Unreadable(f"results.json lacks {e}") from None
    if not same_dir(saved.get("run_dir"), run_dir):
        saved["run_dir"] = run_dir          # moved or copied since the run
    results = check_results(workload, history, opts, saved["run_dir"], net=net, probe=probe,
                            exceptions=exceptions, errors=errors,
                            **{k: saved[k] for k in CARRIED if k in saved})
    report.write_results(run_dir, results, history)
    return results


def same_dir(a, b):
    try:
        return os.path.samefile(a, b)
    except (OSError, TypeError):
        return False


def saved_options(saved):
    """sim.cli.Options as results.json's "opts" holds them (sets and tuples were lists)."""
    opts = cli.Options(**saved)
    opts.nemesis = set(opts.nemesis or ())
    if opts.report_window is not None:
        opts.report_window = tuple(opts.report_window)
    return opts


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Unreadable(e) from None


def read_jsonl(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        raise Unreadable(f"{path}: {e}") from None


# --- an EDN history ---------------------------------------------------------------------------

def check_edn(path, opts):
    """Check a Maelstrom/Jepsen history; saves it and its results in a new run directory."""
    history = read_edn_history(path, load(opts.workload))
    workload = workload_for(opts.workload, history)
    run_dir = report.make_run_dir(opts, node_logs=False)
    results = check_results(workload, history, opts, run_dir,
                            source={"file": path, "format": "edn"})
    report.write(run_dir, history, results)
    return results


def workload_for(name, history):
    """The workload class that judges a history: lin-kv's as one register of Knossos's data
    when its values are not [key value] tuples."""
    workload = load(name)
    if name == "lin-kv" and not linearizable.is_independent(linearizable.calls_of(History(history))):
        workload = knossos_register(workload)
    return workload


def knossos_register(workload):
    """lin-kv judged as Knossos judges one register of its own data: linearizability alone.
    Jepsen's stats checker (every f needs an ok) is Maelstrom's addition, not part of Knossos's
    verdict, and some of Knossos's valid histories have no ok cas (memstress3-32, -35, -93):
    every f is exempt from it (still counted and shown)."""
    return type(workload.__name__, (workload,), {"stats_exempt": frozenset({"read", "write", "cas"})})


def edn_options(workload, node_count=None, consistency_models="strict-serializable",
                availability=None, initial=None,
                linearizability_timeout=cli.LINEARIZABILITY_TIMEOUT_S, store="store", **_):
    """Options for an imported history, from `sim check`'s flags as text: what was asked, and
    nothing about a run (no rate, time limit, ...: those are None)."""
    return cli.Options(
        workload=workload, bin=None, node_count=node_count,
        time_limit=None, rate=None, concurrency=None, latency=None, latency_dist=None,
        nemesis_interval=None, recovery_wait=None, client_overhead=None, topology=None,
        availability=cli._availability(availability),
        consistency_models=cli._models(consistency_models), initial=parse_initial(initial),
        linearizability_timeout=linearizability_timeout, store=store)


def parse_initial(text):
    if text is None:
        return None
    try:
        return edn.plain(edn.loads(text))
    except edn.EdnError as e:
        raise cli.UsageError(f"--initial must be an EDN value: {e}") from None


def read_edn_history(path, workload):
    """The simulator's raw history from an EDN file (gzipped if it ends in .gz)."""
    try:
        ops = edn.read_file(path)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise Unreadable(e) from None
    history = []
    for position, op in enumerate(ops):
        op = workload.from_jepsen(op)
        op.setdefault("index", position)
        if "type" not in op:
            raise Unreadable(f"op {position} has no :type: {op!r}")
        history.append(op)
    return history
