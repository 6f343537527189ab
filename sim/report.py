"""Run directories, results.json, history.jsonl, probe.json, report.html and the end-of-run
summary. A run directory holds everything `python3 -m sim check` needs to check it again:
history.jsonl, results.json (the options, net counts, exceptions and protocol errors) and, for
a workload whose probe returned something, probe.json."""

import datetime
import json
import os
import sys

from sim.viz import page as viz

VALID = "Everything looks good! ヽ(‘ー`)ノ"
INVALID = "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻"
UNKNOWN = "Errors occurred during analysis, but no anomalies found. ಠ~ಠ"
PROBE = "probe.json"


def make_run_dir(opts, node_logs=True):
    """store/<workload>-<timestamp>[-k], with node-logs/ inside (store/latest is pointed at it
    when the run ends, see point_latest, so it never shows a run without results)."""
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S.%f")[:-3]
    base = os.path.join(opts.store, f"{opts.workload}-{stamp}")
    path, k = base, 1
    while True:
        try:
            os.makedirs(path)
            break
        except FileExistsError:
            k += 1
            path = f"{base}-{k}"
    if node_logs:
        os.makedirs(os.path.join(path, "node-logs"))
    return path


def point_latest(run_dir):
    """Atomically point <store>/latest at run_dir."""
    store, path = os.path.dirname(run_dir), run_dir
    latest = os.path.join(store, "latest")
    tmp = f"{latest}.{os.getpid()}"
    try:
        os.symlink(os.path.basename(path), tmp)
        os.replace(tmp, latest)
    except OSError:
        pass


def opts_dict(opts):
    out = {}
    for k, v in vars(opts).items():
        out[k] = sorted(v) if isinstance(v, set) else v
    return out


def write(run_dir, history, results, journal=None, probe=None):
    """A finished run's files; store/latest then points at it."""
    with open(os.path.join(run_dir, "history.jsonl"), "w") as f:
        for op in history:
            f.write(json.dumps(op, default=repr) + "\n")
    if probe is not None:
        write_json(os.path.join(run_dir, PROBE), probe)
    write_results(run_dir, results, history, journal)
    point_latest(run_dir)


def write_results(run_dir, results, history, journal=None):
    """results.json and report.html."""
    write_json(os.path.join(run_dir, "results.json"), results)
    write_report(run_dir, history, results, journal)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, default=repr)
        f.write("\n")


def write_report(run_dir, history, results, journal):
    """report.html (sim.viz), drawn from results as results.json holds them; a drawing failure
    is reported and never changes the verdict."""
    try:
        viz.write(run_dir, json.loads(json.dumps(results, default=repr)), history, journal)
    except Exception as e:
        print(f"sim: could not draw report.html: {type(e).__name__}: {e}", file=sys.stderr)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return json.dumps(v, default=repr) if not isinstance(v, str) else v


def _short(value, limit=200):
    text = json.dumps(value, default=repr)
    return text if len(text) <= limit else text[:limit] + "..."


def verdict_word(valid):
    return {True: "valid", False: "INVALID"}.get(valid, "unknown")


def run_line(results):
    """What was checked: the run's flags, or the imported history's file."""
    o = results["opts"]
    source = results.get("source")
    if source:
        return (f"{results['workload']}: {source['file']} ({source['format']}), "
                f"{results['op_count']} ops, imported (no net counts)")
    return (f"{results['workload']}: {o['node_count']} node(s), {o['time_limit']:g} s at rate "
            f"{o['rate']:g}, concurrency {o['concurrency']}, latency {o['latency']:g} ms "
            f"{o['latency_dist']}, nemesis {','.join(o['nemesis']) or 'none'}, seed {o['seed']}")


def net_line(net):
    if net is None:
        return "net           not recorded\n"
    return (f"net           all {net['all']['send_count']} msgs "
            f"({net['all']['msgs_per_op']:.4g}/op), clients {net['clients']['send_count']}, "
            f"servers {net['servers']['send_count']} ({net['servers']['msgs_per_op']:.4g}/op)\n")


def print_summary(results, out):
    c = results["checkers"]
    st = c["stats"]
    w = out.write
    w(f"\n{run_line(results)}\n")
    w(f"stats         {'valid' if st['valid'] else 'INVALID'}: {st['count']} ops, "
      f"{st['ok_count']} ok, {st['fail_count']} fail, {st['info_count']} info\n")
    for f, s in st["by_f"].items():
        w(f"  {f:<12}{s['count']} ops, {s['ok_count']} ok, {s['fail_count']} fail, "
          f"{s['info_count']} info\n")
    av = c["availability"]
    required = f" (required {av['required']})" if av["required"] else ""
    w(f"availability  {'valid' if av['valid'] else 'INVALID'}: ok-fraction "
      f"{av['ok_fraction']:.6g}{required}\n")
    w(net_line(results["net"]))
    wl = c["workload"]
    w(f"workload      {verdict_word(wl.get('valid'))}")
    shown = [(k, v) for k, v in wl.items() if k != "valid"]
    w(": " + ", ".join(f"{k} {_short(v)}" for k, v in shown[:12]) + "\n" if shown else "\n")
    if "stable_latencies" in results and results["stable_latencies"]:
        sl = results["stable_latencies"]
        w("stable latencies (ms) " + "  ".join(f"{q}: {sl[q]}" for q in sl) + "\n")
    if c["exceptions"]["exceptions"]:
        w(f"exceptions    {len(c['exceptions']['exceptions'])}: "
          f"{c['exceptions']['exceptions'][0]}\n")
    for e in results["errors"][:10]:
        w(f"error: {e}\n")
    if len(results["errors"]) > 10:
        w(f"... {len(results['errors']) - 10} more errors in results.json\n")
    w(f"results       {os.path.join(results['run_dir'], 'results.json')}\n")
    if os.path.exists(os.path.join(results["run_dir"], viz.FILENAME)):
        w(f"report        {os.path.join(results['run_dir'], viz.FILENAME)}\n")
    w("\n")
    w({True: VALID, False: INVALID}.get(results["valid"], UNKNOWN) + "\n")
