"""Every checker of a run, over one paired history: the runner calls `results` after a test,
and `python3 -m sim check` (sim.recheck) calls it again on a saved or imported history.

What a history alone cannot tell comes in as observations, each optional: the network's
message counts (net checker), the workload's probe result (e.g. txn-rw-register's final
state), exceptions raised by workload code and protocol errors seen during the run.
"""

import json

from sim import report
from sim.checkers import stats
from sim.history import History


def check_all(workload, history, opts, net=None, probe=None, exceptions=(), errors=()):
    """{checker name: result} for a Workload class (or instance), a sim.history.History and
    sim.cli.Options; "net" only when its counts are given."""
    checkers = {
        "stats": stats.stats_check(history, workload.stats_exempt),
        "availability": stats.availability_check(history, opts.availability),
    }
    if net is not None:
        checkers["net"] = stats.net_check(net, history)
    try:
        checkers["workload"] = workload.check(history, opts, probe)
    except Exception as e:
        checkers["workload"] = {"valid": False,
                                "error": f"checker crashed: {type(e).__name__}: {e}"}
    checkers["exceptions"] = stats.exceptions_check(exceptions)
    checkers["protocol"] = {"valid": not errors, "errors": list(errors)}
    return checkers


def results(workload, raw_history, opts, run_dir, net=None, probe=None, exceptions=(),
            errors=(), **facts):
    """results.json for a raw history: every checker's result, the verdict, the op counts and
    latencies; `facts` (e.g. duration) are copied in as they are. Without net counts (an
    imported history) "net" is None."""
    history = History(raw_history)
    checkers = check_all(workload, history, opts, net=net, probe=probe, exceptions=exceptions,
                         errors=errors)
    out = {
        "valid": merged_valid(checkers),
        "workload": opts.workload,
        "seed": opts.seed,
        "run_dir": run_dir,
        "opts": report.opts_dict(opts),
        "op_count": stats.op_count(history),
        "duration": facts.pop("duration", None),
        "checkers": checkers,
        "net": {k: checkers["net"][k] for k in ("all", "clients", "servers")} if net else None,
        "availability": {"ok_fraction": checkers["availability"]["ok_fraction"],
                         "valid": checkers["availability"]["valid"]},
        "errors": list(errors) + [f"workload: {e}" for e in workload_errors(checkers["workload"])],
        "op_latencies": stats.op_latencies(history),
    }
    out.update(facts)
    out.update(summary(workload, checkers))
    return out


def merged_valid(checkers):
    """Jepsen's merge of verdicts: False if any checker is invalid, else "unknown" if any could
    not decide (e.g. a key the linearizability search gave up on), else True."""
    verdicts = [c.get("valid") for c in checkers.values()]
    if any(v is not True and v != "unknown" for v in verdicts):
        return False
    return "unknown" if "unknown" in verdicts else True


def summary(workload, checkers):
    """The workload's summary_fields, taken from its checker's result."""
    result = checkers["workload"]
    return {key: result.get(key) for key in workload.summary_fields}


def workload_errors(result):
    """Up to 10 one-line reasons an invalid workload result gives."""
    if result.get("valid") is True:
        return []
    errs = result.get("errors") or result.get("error") or []
    if isinstance(errs, str):
        errs = [errs]
    return [one_line(e) for e in list(errs)[:10]] or [str(result.get("valid", "invalid"))]


def one_line(error):
    """An error as text: itself, its "explanation" if it has one, else its JSON."""
    if isinstance(error, str):
        return error
    if isinstance(error, dict) and isinstance(error.get("explanation"), str):
        return error["explanation"]
    return json.dumps(error)
