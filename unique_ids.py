#!/usr/bin/env python3
"""Challenge 2, unique-ids: globally unique 64-bit integer ids with no messages.

Approach: a Snowflake-style id built locally from the wall clock, the node's
index and a per-millisecond sequence, so nodes never coordinate and partitions
cannot hurt availability. Bit layout of the (non-negative, < 2**63) id:

    | 41 bits: ms since 2020-01-01 UTC | 10 bits: node index | 12 bits: sequence |

Limits: 4096 ids per millisecond per node (4 million/s), up to 1024 nodes (the
index is the node's position in node_ids, the same list on every node, so two
names never share one, whatever their digits), timestamps until about 2089.
Ids sort by time to the millisecond.

Trade-off: uniqueness across a restart rests on the wall clock. Within one
process the timestamp never goes backwards: if the clock steps back, or a
millisecond's 4096 ids run out, the node keeps counting on from its last
timestamp (borrowing from the future) instead of waiting. An id can repeat only
if a node restarts after its clock stepped back past ids it already issued.
"""
import time

from maelstrom_node import Node

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
NODE_BITS, SEQ_BITS = 10, 12
MAX_SEQ = (1 << SEQ_BITS) - 1

node = Node()
state = {"index": 0, "ms": 0, "seq": 0}


@node.on_init
def pick_index():
    index = node.node_ids.index(node.node_id)
    if index >= 1 << NODE_BITS:
        raise ValueError(f"node index {index} does not fit in {NODE_BITS} bits")
    state["index"] = index


def next_id():
    now = time.time_ns() // 1_000_000 - EPOCH_MS
    if now > state["ms"]:
        state["ms"], state["seq"] = now, 0
    elif state["seq"] < MAX_SEQ:
        state["seq"] += 1
    else:  # this millisecond is used up (or the clock went back): borrow the next one
        state["ms"], state["seq"] = state["ms"] + 1, 0
    return (state["ms"] << (NODE_BITS + SEQ_BITS)) | (state["index"] << SEQ_BITS) | state["seq"]


@node.on("generate")
def generate(msg):
    return {"type": "generate_ok", "id": next_id()}


if __name__ == "__main__":
    node.run()
