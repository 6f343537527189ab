#!/usr/bin/env python3
"""Throughput of echo.py against a minimal raw loop, same input, same run.

Each round starts a process, waits for its init_ok, then (timer on) pipes N
echo requests into it from a writer thread while reading replies until all N
arrived. Prints requests/s for both, per round and the median, and the ratio, and the
node process's CPU time per request (start-up included), which a loaded machine moves
less than it moves throughput.

    python3 bench/bench_runtime.py [--requests 50000] [--rounds 5]
    python3 bench/bench_runtime.py --against REV    also echo.py on the runtime of git
                                                    revision REV, in the same rounds
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The baseline: chunked read, json loads/dumps, one write per batch. No error handling.
RAW_LOOP = r'''
import json, os
rest = b""
while True:
    chunk = os.read(0, 1 << 20)
    if not chunk:
        break
    lines = (rest + chunk).split(b"\n")
    rest = lines.pop()
    out = []
    for line in lines:
        if not line:
            continue
        msg = json.loads(line)
        body = msg["body"]
        if body["type"] == "init":
            reply = {"type": "init_ok"}
        else:
            reply = {"type": "echo_ok", "echo": body["echo"]}
        reply["in_reply_to"] = body["msg_id"]
        out.append(json.dumps({"src": msg["dest"], "dest": msg["src"], "body": reply}))
    if out:
        os.write(1, ("\n".join(out) + "\n").encode())
'''

INIT = {"src": "c0", "dest": "n0",
        "body": {"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0"]}}


def requests(n):
    lines = [json.dumps({"src": "c1", "dest": "n0",
                         "body": {"type": "echo", "msg_id": i + 2, "echo": f"payload {i}"}})
             for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def one_round(cmd, payload, n):
    """(requests per second through cmd, measured after init_ok; the process's CPU time
    per request in microseconds, its start-up included)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
    proc.stdin.write((json.dumps(INIT) + "\n").encode())
    proc.stdin.flush()
    if not proc.stdout.readline():  # init_ok (nothing else is buffered yet)
        raise RuntimeError(f"{cmd} did not answer init")
    start = time.perf_counter()
    writer = threading.Thread(target=_write_all, args=(proc.stdin, payload))
    writer.start()
    fd, seen = proc.stdout.fileno(), 0
    while seen < n:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise RuntimeError(f"{cmd} stopped early")
        seen += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    writer.join()
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return n / elapsed, (usage.ru_utime + usage.ru_stime) / n * 1e6


def _write_all(pipe, payload):
    pipe.write(payload)
    pipe.flush()


def checkout(rev, directory):
    """echo.py and maelstrom_node.py as they were at git revision `rev`, in directory."""
    for name in ("echo.py", "maelstrom_node.py"):
        source = subprocess.check_output(["git", "show", f"{rev}:{name}"], cwd=ROOT)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(source)
    return [sys.executable, os.path.join(directory, "echo.py")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--against", metavar="REV", help="a git revision to compare with")
    args = parser.parse_args()
    payload = requests(args.requests)
    commands = {"echo.py": [sys.executable, "echo.py"],
                "raw loop": [sys.executable, "-c", RAW_LOOP]}
    with tempfile.TemporaryDirectory() as old:
        if args.against:
            commands[f"echo.py@{args.against}"] = checkout(args.against, old)
        rates = {name: [] for name in commands}
        cpu = {name: [] for name in commands}
        for r in range(args.rounds):
            for name, cmd in commands.items():
                rate, cost = one_round(cmd, payload, args.requests)
                rates[name].append(rate)
                cpu[name].append(cost)
            print(f"round {r + 1}: " + ", ".join(
                f"{name} {rates[name][-1]:,.0f}/s ({cpu[name][-1]:.1f} us CPU)"
                for name in commands), flush=True)
    raw = statistics.median(rates["raw loop"])
    print(f"median over {args.rounds} rounds of {args.requests} requests:")
    for name in commands:
        rate = statistics.median(rates[name])
        print(f"  {name:>20}: {rate:,.0f} req/s (ratio to raw loop {rate / raw:.2f}), "
              f"{statistics.median(cpu[name]):.1f} us CPU per request")


if __name__ == "__main__":
    main()
