#!/usr/bin/env python3
"""How much delay does the simulator itself add? Prints figures; asserts nothing.

1. kafka-like load: an echo node on 2 nodes, concurrency 2n, rate 1000 - client op latency
   (a full round trip through the simulator and a trivial node) and message lateness.
2. 3d-like load: the calibration flood node on 25 nodes, rate 100, latency 100 - how late
   server messages are delivered relative to their simulated deadline.

Usage: python3 bench/bench_sim.py [--time-limit SECONDS]   (default 10)
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALIB = os.path.join(ROOT, "sim", "calibration")
ECHO = os.path.join(ROOT, "tests", "nodes", "echo_plain.py")
FLOOD = os.path.join(CALIB, "calib_broadcast_flood.py")


def run(args, store):
    cmd = [sys.executable, "-m", "sim", "test", "--no-progress", "--store", store, *args]
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(store, "latest", "results.json")) as f:
        return json.load(f)


def fmt(q):
    return "n/a" if not q else "  ".join(f"{k}: {v:.2f}" for k, v in q.items())


def main():
    limit = "10"
    if "--time-limit" in sys.argv:
        limit = sys.argv[sys.argv.index("--time-limit") + 1]
    with tempfile.TemporaryDirectory() as store:
        r = run(["-w", "echo", "--bin", ECHO, "--node-count", "2", "--concurrency", "2n",
                 "--rate", "1000", "--time-limit", limit], store)
        print(f"echo, 2 nodes, concurrency 4, rate 1000, {limit} s: {r['op_count']} ops")
        print(f"  op latency ms (sim + node round trip)   {fmt(r['op_latencies'])}")
        print(f"  client message lateness ms             {fmt(r['sim_delivery_lateness_ms']['clients'])}")
        if os.path.exists(FLOOD):
            r = run(["-w", "broadcast", "--bin", FLOOD, "--node-count", "25", "--rate", "100",
                     "--latency", "100", "--time-limit", limit, "--recovery-wait", "1"], store)
            late = r["sim_delivery_lateness_ms"]
            print(f"flood broadcast, 25 nodes, rate 100, latency 100, {limit} s: "
                  f"{r['op_count']} ops, {r['net']['servers']['send_count']} server messages")
            print(f"  server message lateness ms beyond the simulated 100 ms   {fmt(late['servers'])}")


if __name__ == "__main__":
    main()
