#!/usr/bin/env python3
"""Maelstrom's g-set workload: a grow-only set of ints, replicated through a hub log.

Approach: the replicated set of hub_log.py, the mechanism broadcast.py uses
(its docstring has the details and the stable-latency bound). `add` puts an
element in the set (a leaf pushes it to the hub at once); `read` answers with
every element, a leaf first pulling the hub's log when its view is older than
`--stale-ms` (default 300 ms). A quiet cluster sends nothing: no full-state
gossip, so the bill follows the ops, not the cluster size or the clock.

Trade-off: a pulled read waits one round trip to the hub, and the hub carries
every pull. While a leaf is cut off from the hub its reads are stale (answered
from its older view after `--pull-timeout-ms`) and its elements reach the
others only after the heal (re-sent every `--retry-ms`): late, never lost.
Elements are JSON ints (the workload's are 0, 1, 2, ...); anything else is
refused with error 12.

Figures (simulator, `make bench-crdt ARGS="--runs 20 ..."`, seeds 1-20): on
`--node-count 25 --time-limit 20 --rate 100 --latency 100`, 20/20 valid at
1.145 servers msgs-per-op (median; max 1.162), stable latency 197 ms (median
of the runs' medians), max 298 ms - Maelstrom's tutorial node (full-state
gossip every 5 s) gets 1.70 at a 2.5 s median; with `--latency-dist
exponential` 20/20 valid at 1.166, median 198 ms, but a max of 591-819 ms
per run (exponential delays have no bound: hub_log.py). On `--node-count 5
--time-limit 30 --rate 10 --nemesis partition`, 20/20 valid at 0.93
msgs-per-op: at that rate every leaf read pulls, and the hub log pays per op
where gossip pays per second.
"""
from hub_log import HubLog
from maelstrom_node import Node, require

node = Node()
hub_log = HubLog(node, "GSET")


@node.on("add")
def add(msg):
    hub_log.add(require(msg["body"], "element", int))
    return {"type": "add_ok"}


@node.on("read")
async def read(msg):
    return {"type": "read_ok", "value": await hub_log.read()}


if __name__ == "__main__":
    node.run()
