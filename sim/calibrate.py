"""`make calibrate`: run the simulator on the calibration nodes and print its figures beside
the ones real Maelstrom printed for the same node and flags (sim/calibration/)."""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CALIB = os.path.join(HERE, "calibration")
STORE = os.path.join(ROOT, "store", "calibrate")
LATEST = os.path.join(STORE, "latest", "results.json")

ROWS = [
    ("echo", "calib_echo.py", "-w echo --node-count 1 --time-limit 10"),
    ("ids", "calib_ids.py",
     "-w unique-ids --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition"),
    ("flood_3d", "calib_broadcast_flood.py",
     "-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100"),
    ("flood_3d_exp", "calib_broadcast_flood.py",
     "-w broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100 --latency-dist exponential"),
    ("flood_3c", "calib_broadcast_flood.py",
     "-w broadcast --node-count 5 --time-limit 20 --rate 10 --nemesis partition"),
    ("gcounter_4", "calib_gcounter_seqkv.py",
     "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition"),
    ("kafka_5a", "calib_kafka_single.py",
     "-w kafka --node-count 1 --concurrency 2n --time-limit 20 --rate 1000"),
    ("txn_6a", "calib_txn_single.py",
     "-w txn-rw-register --node-count 1 --time-limit 20 --rate 1000 --concurrency 2n "
     "--consistency-models read-uncommitted --availability total"),
    ("lia_local_1", "calib_lia_local.py", "-w txn-list-append --node-count 1 --time-limit 10 --rate 100"),
    ("lia_local_2", "calib_lia_local.py", "-w txn-list-append --node-count 2 --time-limit 10 --rate 100"),
    ("linkv_proxy", "calib_linkv_proxy.py",
     "-w lin-kv --node-count 3 --concurrency 4n --rate 30 --time-limit 20 --nemesis partition"),
    ("linkv_seqkv", "calib_linkv_seqkv.py",
     "-w lin-kv --node-count 3 --concurrency 4n --rate 30 --time-limit 20 --nemesis partition"),
    ("gset_gossip", "calib_gset_gossip.py", "-w g-set --node-count 5 --time-limit 20 --rate 10"),
    ("gset_gossip_p", "calib_gset_gossip.py",
     "-w g-set --node-count 5 --time-limit 20 --rate 10 --nemesis partition"),
    ("gset_local", "calib_gset_local.py", "-w g-set --node-count 5 --time-limit 20 --rate 10"),
    ("pn_gossip", "calib_pncounter_gossip.py",
     "-w pn-counter --node-count 3 --time-limit 20 --rate 100 --nemesis partition"),
    ("pn_maxmerge", "calib_pncounter_maxmerge.py",
     "-w pn-counter --node-count 3 --time-limit 20 --rate 100 --nemesis partition"),
]

QUANTILES = ("0", "0.5", "0.95", "0.99", "1")


def maelstrom_figures(name):
    """The figures of one calibration row, read from the results map real Maelstrom printed."""
    with open(os.path.join(CALIB, "maelstrom-results", name + ".edn")) as f:
        text = f.read()

    def number(pattern):
        m = re.search(pattern, text, re.S)
        return float(m.group(1)) if m else None

    verdicts = re.findall(r"^ :valid\? (\w+)\}", text, re.M)   # the top-level map's last key
    anomalies = re.search(r":anomaly-types \(([^)]*)\)", text)
    lat = re.search(r":stable-latencies \{([^}]*)\}", text)
    latencies = None
    if lat:
        pairs = dict(p.split() for p in lat.group(1).split(","))
        latencies = [int(pairs[q]) for q in QUANTILES]
    return {
        "valid": {"true": True, "false": False}.get(verdicts[-1] if verdicts else "", "unknown"),
        "ops": number(r":stats \{:valid\? \w+,\s*:count (\d+)"),
        "all": number(r":all \{[^}]*:msgs-per-op ([\d.]+)"),
        "servers": number(r":servers \{[^}]*:msgs-per-op ([\d.]+)"),
        "server_msgs": number(r":servers \{:send-count (\d+)"),
        "latencies": latencies,
        "ok_fraction": number(r":ok-fraction ([\d.]+)"),
        "lost": number(r":lost-count (\d+)"),
        "anomalies": (sorted(a.lstrip(":") for a in anomalies.group(1).split()) if anomalies
                      else [] if ":workload {:valid? true}" in text else None),   # Elle, valid
    }


def sim_figures(results):
    """The same figures from a simulator results.json."""
    net = results.get("net", {})
    lat = results.get("stable_latencies")
    workload = results.get("checkers", {}).get("workload", {})
    stats = results.get("checkers", {}).get("stats", {})
    return {
        "valid": results.get("valid"),
        "ops": stats.get("count"),
        "all": net.get("all", {}).get("msgs_per_op"),
        "servers": net.get("servers", {}).get("msgs_per_op"),
        "server_msgs": net.get("servers", {}).get("send_count"),
        "latencies": [lat.get(q) for q in QUANTILES] if lat else None,
        "ok_fraction": results.get("availability", {}).get("ok_fraction"),
        "lost": workload.get("lost_count", workload.get("lost-count")),
        "anomalies": workload.get("anomaly_types") if "anomaly_types" in workload else None,
    }


def run_sim(node, flags, seed):
    cmd = [sys.executable, "-m", "sim", "test", "--bin", os.path.join(CALIB, node), *flags.split(),
           "--store", STORE, "--no-progress"]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(LATEST) as f:
        return json.load(f)


def cells(fig):
    def num(v, d=2):
        return "-" if v is None else (f"{v:.{d}f}" if isinstance(v, float) and v != int(v) else f"{int(v)}")
    lat = "/".join("-" if x is None else str(int(x)) for x in fig["latencies"]) if fig["latencies"] else "-"
    verdict = {True: "valid", False: "INVALID"}.get(fig["valid"], "unknown")
    return [verdict, num(fig["ops"]), num(fig["all"]), num(fig["servers"]),
            num(fig["server_msgs"]), lat, ("-" if fig["ok_fraction"] is None else f"{fig['ok_fraction']:.5f}"), num(fig["lost"]),
            "-" if fig["anomalies"] is None else " ".join(fig["anomalies"]) or "none"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="row names, e.g. echo flood_3d")
    parser.add_argument("--seed", type=int)
    opts = parser.parse_args(argv)
    header = ["run", "source", "verdict", "ops", "all msgs/op", "servers msgs/op", "server msgs",
              "stable latency 0/.5/.95/.99/1", "ok-fraction", "lost", "anomaly types"]
    table = [header]
    for name, node, flags in ROWS:
        if opts.only and name not in opts.only:
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        table.append([name, "maelstrom"] + cells(maelstrom_figures(name)))
        table.append(["", "sim"] + cells(sim_figures(run_sim(node, flags, opts.seed))))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in table[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")


if __name__ == "__main__":
    main()
