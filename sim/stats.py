"""Checkers the core runs for every workload: stats, availability, net.

- stats (Jepsen's): client-op completions counted overall and by f; an f is valid when it has
  at least one ok; the whole is valid when every f is (fs in `exempt`, e.g. kafka's crash,
  are counted but not required to succeed).
- availability: ok-fraction = ok completions / invoked client ops; `--availability total`
  demands 1.0, a number demands at least that, no flag demands nothing.
- net (Maelstrom's net checker): send/recv/msg counts for all, clients, servers, and
  msgs-per-op = messages / invoked client ops (final ops included, nemesis excluded).
"""


def client_ops(history):
    return [op for op in history if op.get("process") != "nemesis"]


def op_count(history):
    return sum(1 for op in history if op["type"] == "invoke" and op.get("process") != "nemesis")


def _fold(ops):
    oks = sum(1 for op in ops if op["type"] == "ok")
    fails = sum(1 for op in ops if op["type"] == "fail")
    infos = sum(1 for op in ops if op["type"] == "info")
    return {"valid": oks > 0, "count": oks + fails + infos, "ok_count": oks,
            "fail_count": fails, "info_count": infos}


def stats_check(history, exempt=()):
    done = [op for op in client_ops(history) if op["type"] != "invoke"]
    result = _fold(done)
    by_f = {}
    for op in done:
        by_f.setdefault(op["f"], []).append(op)
    result["by_f"] = {f: _fold(ops) for f, ops in sorted(by_f.items())}
    result["valid"] = all(v["valid"] for f, v in result["by_f"].items() if f not in exempt)
    return result


def availability_check(history, required):
    invoked = op_count(history)
    oks = sum(1 for op in client_ops(history) if op["type"] == "ok")
    fraction = oks / invoked if invoked else 1.0
    if required is None:
        valid = True
    elif required == "total":
        valid = oks == invoked
    else:
        valid = fraction >= required
    return {"valid": valid, "ok_fraction": fraction, "required": required,
            "ok_count": oks, "invoke_count": invoked}


def op_latencies(history):
    """Quantiles (ms) of client op latency, invoke to completion, all fs together."""
    from sim.net import quantiles
    started = {}
    lat = []
    for op in history:
        p = op.get("process")
        if p == "nemesis":
            continue
        if op["type"] == "invoke":
            started[p] = op["time"]
        elif p in started:
            lat.append((op["time"] - started.pop(p)) / 1e6)
    return quantiles(lat, (0, 0.5, 0.95, 0.99, 1))


def net_check(snapshot, history):
    ops = op_count(history)
    result = {"valid": True}
    for group in ("all", "clients", "servers"):
        g = dict(snapshot[group])
        g["msgs_per_op"] = round(g["msg_count"] / ops, 6) if ops else 0.0
        result[group] = g
    return result
