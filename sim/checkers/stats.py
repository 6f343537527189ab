"""Checkers every workload gets: stats, availability, net, exceptions; and op latencies.

- stats (Jepsen's): client-op completions counted overall and by f; an f is valid when it has
  at least one ok; the whole is valid when every f is (fs in `exempt`, e.g. kafka's crash,
  are counted but not required to succeed).
- availability: ok-fraction = ok completions / invoked client ops; `--availability total`
  demands 1.0, a number demands at least that, no flag demands nothing.
- net (Maelstrom's net checker): send/recv/msg counts for all, clients, servers, and
  msgs-per-op = messages / invoked client ops (final ops included, nemesis excluded).
- exceptions: invalid when workload code raised during the run (the core records the op as
  info and goes on), so a workload bug cannot pass for a run with a few indeterminate ops.
All take a paired history (sim.history.History).
"""

from sim.net import quantiles


def _fold(ops):
    oks = sum(1 for op in ops if op.type == "ok")
    fails = sum(1 for op in ops if op.type == "fail")
    infos = sum(1 for op in ops if op.type == "info")
    return {"valid": oks > 0, "count": oks + fails + infos, "ok_count": oks,
            "fail_count": fails, "info_count": infos}


def stats_check(history, exempt=()):
    done = history.completed
    result = _fold(done)
    by_f = {}
    for op in done:
        by_f.setdefault(op.f, []).append(op)
    result["by_f"] = {f: _fold(ops) for f, ops in sorted(by_f.items())}
    result["valid"] = all(v["valid"] for f, v in result["by_f"].items() if f not in exempt)
    return result


def availability_check(history, required):
    invoked = op_count(history)
    oks = sum(1 for op in history.completed if op.type == "ok")
    fraction = oks / invoked if invoked else 1.0
    if required is None:
        valid = True
    elif required == "total":
        valid = oks == invoked
    else:
        valid = fraction >= required
    return {"valid": valid, "ok_fraction": fraction, "required": required,
            "ok_count": oks, "invoke_count": invoked}


def op_count(history):
    """Client ops invoked (a completion nobody invoked is not one)."""
    return sum(1 for op in history.ops if op.invocation is not None)


def op_latencies(history):
    """Quantiles (ms) of client op latency, invoke to completion, all fs together (ops without
    times, as in Knossos's data files, are left out)."""
    lat = [(op.time - op.invoke_time) / 1e6 for op in history.completed
           if op.invocation is not None and op.time is not None and op.invoke_time is not None]
    return quantiles(lat, (0, 0.5, 0.95, 0.99, 1))


def net_check(snapshot, history):
    ops = op_count(history)
    result = {"valid": True}
    for group in ("all", "clients", "servers"):
        g = dict(snapshot[group])
        g["msgs_per_op"] = round(g["msg_count"] / ops, 6) if ops else 0.0
        result[group] = g
    return result


def exceptions_check(exceptions):
    return {"valid": not exceptions, "exceptions": list(exceptions)}
