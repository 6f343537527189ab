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

Figures: see the g-set section of README.md (`make bench-crdt`).
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
