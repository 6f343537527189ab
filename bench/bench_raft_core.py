#!/usr/bin/env python3
"""The Raft core (raft.py) alone under lin-kv's workload shape, on the in-memory cluster.

    python3 bench/bench_raft_core.py [--runs 10] [--nodes 3] [--time-limit 60] [--rate 30]
                                [--latency-ms 1] [--nemesis-interval 10] [--no-nemesis]
                                [--timing heartbeat=0.15 --timing batch=0.02 ...]

No node processes: raft.Raft cores on a fake clock (tests/raft_cluster.py), so the
figures are the protocol's, not the runtime's. The workload is the shape of
`--concurrency 4n --rate 30 --nemesis partition`: 4n client threads, thread i bound
to node i mod n, half of them reading, half writing; an op every uniform [0, 2/rate)
s goes to a random idle thread; a client gives up after 1 s. The nemesis alternates
start/stop after uniform [0, 2 * interval) s, each start one of Jepsen's partition
specs (sim/nemesis.py). Every run is checked (tests/raft_cluster.py check_all).

Per run it prints: server messages per op, served (ok / all ops; a definite error is
a 'rejected'), indefinite (writes never answered / all ops), ok latency p50/p99 ms,
and the re-elections after a leader was cut off (seconds from the cut until a new
leader exists on the majority side). Then the medians.
"""
import argparse
import os
import random
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]
from raft import Timing  # noqa: E402
from raft_cluster import Cluster  # noqa: E402
from sim.nemesis import SPECS, grudge_for  # noqa: E402

CLIENT_TIMEOUT = 1.0


class Workload:
    """Client threads bound to nodes, issuing ops at the run's rate."""

    def __init__(self, cluster, rng, rate, time_limit):
        self.cluster, self.rng = cluster, rng
        nodes = cluster.ids
        self.threads = [(nodes[i % len(nodes)], "read" if (i // len(nodes)) % 2 == 0 else "write")
                        for i in range(4 * len(nodes))]
        self.busy = {}                          # thread -> op id
        t = 0.0
        while t < time_limit:
            cluster.at(t, self.invoke)
            t += rng.uniform(0, 2 / rate)

    def invoke(self):
        idle = [i for i in range(len(self.threads)) if not self._busy(i)]
        if not idle:
            return
        thread = self.rng.choice(idle)
        node, kind = self.threads[thread]
        op_id = self.cluster.read(node) if kind == "read" else self.cluster.write(node)
        self.busy[thread] = op_id

    def _busy(self, thread):
        op = self.cluster.ops.get(self.busy.get(thread))
        return op is not None and op.status is None and self.cluster.now - op.invoked < CLIENT_TIMEOUT


class Nemesis:
    """Partitions as Jepsen's partition nemesis; notes when a leader was cut off."""

    def __init__(self, cluster, rng, interval, time_limit):
        self.cluster, self.rng = cluster, rng
        self.cuts = []                          # times a leader lost its majority
        t, start = 0.0, True
        while t < time_limit:
            cluster.at(t, self.start if start else cluster.heal)
            t += rng.uniform(0, 2 * interval)
            start = not start
        cluster.at(time_limit, cluster.heal)

    def start(self):
        cluster = self.cluster
        grudge = grudge_for(self.rng.choice(SPECS), cluster.ids, self.rng)
        for dest, srcs in grudge.items():
            for src in srcs:
                cluster.blocked.add((src, dest))
        leaders = cluster.leaders()
        if leaders and self._cut_off(leaders[0]):
            self.cuts.append(cluster.now)

    def _cut_off(self, leader):
        """True when the leader cannot reach a majority but the others can form one
        (a clean two-sided cut, where a re-election is possible)."""
        ids, blocked = self.cluster.ids, self.cluster.blocked
        others = [p for p in ids if p != leader]
        linked = all((a, b) not in blocked for a in others for b in others if a != b)
        cut = all((leader, p) in blocked and (p, leader) in blocked for p in others)
        return linked and cut and len(others) > len(ids) // 2


def run(seed, args):
    timing = Timing(**{k: type(getattr(Timing, k))(v) for k, v in args.timing})
    cluster = Cluster(args.nodes, seed=seed, timing=timing,
                      latency=(0, 2 * args.latency_ms / 1000))
    Workload(cluster, random.Random(seed), args.rate, args.time_limit)
    nemesis = None
    if not args.no_nemesis:
        nemesis = Nemesis(cluster, random.Random(-seed), args.nemesis_interval, args.time_limit)
    cluster.run_until(args.time_limit + CLIENT_TIMEOUT)
    cluster.check_all(settled=False)
    return summarize(cluster, nemesis)


def leader_changes(cluster):
    """(time, term) whenever a node became leader, from the messages it sent."""
    first = {}
    for time, _src, _dest, body in cluster.sent:
        if body["type"] == "raft_append":
            first.setdefault(body["term"], time)
    return sorted((time, term) for term, time in first.items())


def summarize(cluster, nemesis):
    ops = list(cluster.ops.values())
    servers = sum(1 for _, _, dest, _ in cluster.sent if dest in cluster.nodes)
    ok = [op for op in ops if op.status == "ok" and op.done - op.invoked < CLIENT_TIMEOUT]
    indefinite = [op for op in ops if op.kind == "write" and op not in ok
                  and op.status != "rejected"]
    lat = sorted((op.done - op.invoked) * 1000 for op in ok)
    changes = leader_changes(cluster)
    elections = []
    for cut in (nemesis.cuts if nemesis else []):
        later = [time for time, _ in changes if time > cut]
        elections.append(later[0] - cut if later else float("inf"))
    return {"msgs_per_op": servers / len(ops), "served": len(ok) / len(ops),
            "indefinite": len(indefinite) / len(ops),
            "p50": lat[len(lat) // 2] if lat else 0, "p99": lat[int(len(lat) * 0.99)] if lat else 0,
            "ops": len(ops), "reelections": elections}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--latency-ms", type=float, default=1.0, help="mean one-way delay")
    parser.add_argument("--nemesis-interval", type=float, default=10)
    parser.add_argument("--no-nemesis", action="store_true")
    parser.add_argument("--timing", action="append", default=[], metavar="NAME=SECONDS",
                        type=lambda s: s.split("=", 1), help="override a raft.Timing field")
    args = parser.parse_args()
    results = []
    for seed in range(1, args.runs + 1):
        r = run(seed, args)
        results.append(r)
        elections = " ".join(f"{t:.2f}" for t in r["reelections"]) or "-"
        print(f"seed {seed:2}: {r['ops']} ops  msgs/op {r['msgs_per_op']:.2f}  "
              f"served {r['served']:.3f}  indefinite {r['indefinite']:.3f}  "
              f"p50 {r['p50']:.1f} ms  p99 {r['p99']:.1f} ms  re-election s: {elections}")
    print("median: " + "  ".join(
        f"{key} {statistics.median(r[key] for r in results):.3f}"
        for key in ("msgs_per_op", "served", "indefinite", "p50", "p99")))
    worst = max((t for r in results for t in r["reelections"]), default=None)
    print(f"worst re-election: {worst:.2f} s" if worst is not None else "no leader was cut off")


if __name__ == "__main__":
    main()
