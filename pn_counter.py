#!/usr/bin/env python3
"""Maelstrom's pn-counter workload: a PN-counter CRDT, two grow-only subtotals per node.

Approach. Node n keeps two subtotals of its own, "n+" (the sum of its positive
deltas) and "n-" (the sum of the magnitudes of its negative ones); the counter's
value is the sum of every "+" minus the sum of every "-". An `add` is
acknowledged once it is in the node's own subtotal; `read` is answered locally.
The subtotals are replicated with subtotals.py, the acknowledged gossip
g_counter.py uses: each key has one owner and only grows, so views merge by max
per key. (Merging one *signed* subtotal per node by max is the classic bug: a
decrement lowers it and the max keeps the older, larger value;
tests/broken/pncounter_maxmerge.py.) No seq-kv: nothing here needs a shared
store, since each node is the only writer of its own keys.

When it sends. While adds keep coming, a pair of nodes exchanges views about
once every `--period-ms` (2 s); once a node has had no add for `--quiet-ms`
(0.5 s) it pushes its news at once, then retries failed pushes after 0.2, 0.4
and every 0.6 s. A node with nothing new for a peer sends it nothing, so a
quiet cluster - the 10 s recovery wait included - is silent.

Trade-off. Reads during the load are up to a period (plus any partition) behind
the other nodes' adds, which the workload allows: only the final reads are
checked. In exchange the whole run costs a few messages per second whatever the
rate. Adds are held in memory only: a node process that crashed would lose its
own subtotals (Maelstrom's pn-counter test has no crash nemesis).

Figures (simulator, `make bench-crdt ARGS="--runs 20 --jobs 2 ..."`, seeds
1-20): on `--node-count 3 --time-limit 30 --rate 100 --nemesis partition`,
20/20 valid at 0.033 servers msgs-per-op (median; max 0.037; ~100 server
messages a run); on `--node-count 5 --time-limit 20 --rate 100 --latency 100
--nemesis partition`, 20/20 valid at 0.176 (max 0.205). Once adds stop and a
cut-off node heals, every node reads the true total a median of 437 ms (max
480 ms) after the last add (10 runs of the read-lag bench).
"""
import time

from maelstrom_node import Node, require, settings
from subtotals import Subtotals

OPTS = {name: ms / 1000 for name, ms in settings("PNCOUNTER", {
    "period-ms": 2000, "quiet-ms": 500, "push-timeout-ms": 400}).items()}
node = Node()
last_add = float("-inf")


def keys():
    return {f"{name}{sign}" for name in node.node_ids for sign in "+-"}


def settled():
    return time.monotonic() - last_add >= OPTS["quiet-ms"]


view = Subtotals(node, keys, settled, period=OPTS["period-ms"],
                 push_timeout=OPTS["push-timeout-ms"], describe="'<node>+' and '<node>-'")


@node.on("add")
def add(msg):
    global last_add
    delta = require(msg["body"], "delta", int)
    own = f"{node.node_id}{'+' if delta >= 0 else '-'}"
    view.merge({own: view.get(own) + abs(delta)})
    last_add = time.monotonic()
    return {"type": "add_ok"}


@node.on("read")
def read(msg):
    value = sum(v if key.endswith("+") else -v for key, v in view.view.items())
    return {"type": "read_ok", "value": value}


if __name__ == "__main__":
    node.run()
