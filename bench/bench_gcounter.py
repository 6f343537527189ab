#!/usr/bin/env python3
"""g_counter.py on the challenge's flags: validity and msgs-per-op over many seeds,
and the read lag once adds stop.

    python3 bench/bench_gcounter.py [--runs 20] [--time-limit 20] [--jobs 1]
        runs `python3 -m sim test -w g-counter --node-count 3 --rate 100
        --time-limit T --nemesis partition --seed S` for S = 1..runs; prints each
        run, the passes and the median servers msgs-per-op.
    python3 bench/bench_gcounter.py --lag [--runs 10] [--time-limit 5]
        a three-node cluster on a private in-process network with a fake seq-kv
        that serves random stale states; one node is cut off for the second half
        of the adds and healed the moment adds stop (the worst case); then every
        node is read every 5 ms. Prints, per run, how long after the last add was
        acknowledged each node's read first showed the true total.
"""
import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from fake_services import FakeSeqKV  # noqa: E402
from simrun import run_sim  # noqa: E402

FLAGS = ["--node-count", "3", "--rate", "100", "--nemesis", "partition"]


# -- simulator runs -------------------------------------------------------------

def sim_run(seed, time_limit):
    """One simulator run; returns (valid, servers msgs-per-op, final reads)."""
    with run_sim(["-w", "g-counter", "--bin", "./g_counter.py", *FLAGS, "--time-limit",
                  time_limit, "--seed", seed], timeout=time_limit + 120) as (results, _):
        pass
    return (results["valid"], results["net"]["servers"]["msgs_per_op"],
            results["checkers"]["workload"].get("final_reads"))


def bench_sim(args):
    seeds = range(args.seed, args.seed + args.runs)
    with ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(lambda s: (s, *sim_run(s, args.time_limit)), seeds))
    for seed, valid, mpo, reads in runs:
        print(f"seed {seed:3}: {'valid  ' if valid else 'INVALID'} servers msgs-per-op "
              f"{mpo:.3f}  final reads {reads}")
    mpos = [mpo for _, _, mpo, _ in runs]
    passes = sum(valid for _, valid, _, _ in runs)
    print(f"{passes}/{len(runs)} valid; servers msgs-per-op median {statistics.median(mpos):.3f}, "
          f"max {max(mpos):.3f}  ({' '.join(FLAGS)} --time-limit {args.time_limit:g})")


# -- lag on a private cluster -------------------------------------------------------

class Cluster:
    """Node processes (`program`, e.g. g_counter.py) wired together in-process, with an
    optional fake KV service; `isolated` nodes are cut off."""

    def __init__(self, names, kv, program="g_counter.py"):
        self.names, self.kv, self.program = names, kv, program
        self.procs, self.waiting, self.isolated = {}, {}, set()
        self.next_id = 0

    async def start(self):
        for name in self.names:
            self.procs[name] = await asyncio.create_subprocess_exec(
                sys.executable, os.path.join(ROOT, self.program), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, limit=1 << 20)
        self.pumps = [asyncio.create_task(self.pump(name)) for name in self.names]
        for name in self.names:
            await self.call(name, {"type": "init", "node_id": name, "node_ids": self.names})

    async def stop(self):
        for proc in self.procs.values():
            proc.stdin.close()
        for proc in self.procs.values():
            await proc.wait()
        await asyncio.gather(*self.pumps)

    def deliver(self, msg):
        self.procs[msg["dest"]].stdin.write((json.dumps(msg) + "\n").encode())

    async def pump(self, name):
        async for line in self.procs[name].stdout:
            msg = json.loads(line)
            dest = msg["dest"]
            if self.kv is not None and dest == self.kv.name:
                reply = self.kv.handle(msg)
                if reply is not None:
                    self.deliver(reply)
            elif dest in self.procs:
                if (msg["src"] in self.isolated) == (dest in self.isolated):
                    self.deliver(msg)
            else:
                fut = self.waiting.pop(msg["body"].get("in_reply_to"), None)
                if fut is not None and not fut.done():
                    fut.set_result(msg["body"])

    async def call(self, name, body, timeout=5.0):
        self.next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = fut
        self.deliver({"src": "c1", "dest": name, "body": {**body, "msg_id": self.next_id}})
        return await asyncio.wait_for(fut, timeout)


async def lag_run(seed, duration, program="g_counter.py", deltas=range(5), add_share=1 / 3):
    """Adds (a delta from `deltas`, a share `add_share` of the ops) and reads on three nodes,
    one cut off for the second half and healed when adds stop; returns ({node: seconds from
    then until it first read the true total}, the total). g_counter.py gets a stale fake
    seq-kv; other programs none."""
    rng = random.Random(seed)
    names = ["n0", "n1", "n2"]
    kv = FakeSeqKV(choose=rng) if program == "g_counter.py" else None
    cluster = Cluster(names, kv, program)
    await cluster.start()
    total = 0
    end = time.monotonic() + duration

    async def worker(name):
        nonlocal total
        while time.monotonic() < end:
            if rng.random() < add_share:
                delta = rng.choice(deltas)
                await cluster.call(name, {"type": "add", "delta": delta})
                total += delta
            else:
                await cluster.call(name, {"type": "read"})
            await asyncio.sleep(rng.uniform(0, 0.06))

    async def cut_off_later():
        await asyncio.sleep(duration / 2)
        cluster.isolated = {rng.choice(names)}

    cutter = asyncio.create_task(cut_off_later())
    await asyncio.gather(*(worker(name) for name in names))
    stopped = time.monotonic()
    cluster.isolated = set()
    await cutter
    lags = {}
    while len(lags) < len(names):
        for name in names:
            if name not in lags:
                body = await cluster.call(name, {"type": "read"})
                if body["value"] == total:
                    lags[name] = time.monotonic() - stopped
        await asyncio.sleep(0.005)
    await cluster.stop()
    return lags, total


def bench_lag(args):
    worst = []
    for seed in range(args.seed, args.seed + args.runs):
        lags, total = asyncio.run(lag_run(seed, args.time_limit))
        worst.append(max(lags.values()))
        print(f"seed {seed:3}: total {total:5}; lag after the last add "
              + ", ".join(f"{n} {lag * 1000:4.0f} ms" for n, lag in sorted(lags.items())))
    print(f"lag until every node reads the true total: median {statistics.median(worst) * 1000:.0f} ms, "
          f"max {max(worst) * 1000:.0f} ms over {len(worst)} runs")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="default 20 (sim) or 10 (--lag)")
    parser.add_argument("--time-limit", type=float, default=None, help="default 20 (sim) or 5 (--lag)")
    parser.add_argument("--jobs", type=int, default=1, help="simulator runs in parallel")
    parser.add_argument("--seed", type=int, default=1, help="first seed")
    parser.add_argument("--lag", action="store_true", help="measure read lag instead")
    args = parser.parse_args()
    if args.lag:
        args.runs, args.time_limit = args.runs or 10, args.time_limit or 5.0
        bench_lag(args)
    else:
        args.runs, args.time_limit = args.runs or 20, args.time_limit or 20.0
        bench_sim(args)


if __name__ == "__main__":
    main()
