#!/usr/bin/env python3
"""Challenges 3a-3e, broadcast: a hub keeps the log; leaves push values and pull on read.

Approach: the replicated set of hub_log.py (its docstring has the mechanism, the
stable-latency bound and the partition behaviour). `broadcast` adds a value,
`read` answers with every value (a leaf first pulls from the hub when its view
is older than `--stale-ms`), and `topology` is acknowledged and ignored: every
leaf talks to the hub only.

Trade-off (3d flags, simulator, bench/bench_broadcast.py --sweep): S=0 costs
about 1.43 servers msgs-per-op for a stable latency of 0 ms median, ~100 ms max;
the default S=300 ms about 1.25 at ~170/295 ms; S=1000 ms about 0.88 at
~770/990 ms. Reads that pull take a round trip (~200 ms), and the hub carries
every pull. Measured at 3d (`python3 bench/bench_broadcast.py -- --latency-dist
D`, median of 3 runs, max in brackets): constant 191 ms (297, bound 300),
uniform 200 ms (433-453, bound 500), exponential 203 ms (595-671, no bound).
"""
from hub_log import HubLog
from maelstrom_node import Node, require

node = Node()
hub_log = HubLog(node, "BROADCAST")


@node.on("topology")
def topology(msg):
    require(msg["body"], "topology", dict)
    return {"type": "topology_ok"}


@node.on("broadcast")
def broadcast(msg):
    hub_log.add(require(msg["body"], "message", int))
    return {"type": "broadcast_ok"}


@node.on("read")
async def read(msg):
    return {"type": "read_ok", "messages": await hub_log.read()}


if __name__ == "__main__":
    node.run()
