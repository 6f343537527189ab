#!/usr/bin/env python3
"""Challenges 3a-3e, broadcast: a hub keeps the log; leaves push values and pull on read.

Approach. The first node of `node_ids` is the hub; it keeps every value in one
append-only log. Every other node (a leaf) does two things:
  push  a client's value goes to the hub at once, in one fire-and-forget message
        (with any of the leaf's values the hub has not yet confirmed);
  pull  before answering a read, a leaf whose view is older than `--stale-ms`
        asks the hub for the log from where it left off (`sync` -> `sync_ok`);
        the reply also confirms the leaf's own values that the hub now holds.
The hub answers reads from its log; `topology` is acknowledged and ignored.
No timer sends anything, except a `sync` from a leaf whose value the hub has
not confirmed for `--retry-ms`: a quiet cluster sends nothing.

Why this is cheap and fast. A value costs one message to reach the hub and a
pulled read costs two, so the bill follows the reads, not the cluster size (a
hub pushing batches to 24 leaves every T seconds pays 24/T messages a second
whether or not anyone reads). Each node has one client at a time, so a leaf's
next read comes after its pull's round trip (200 ms at 3d); S saves messages
only beyond that.

The stable-latency bound. A value acknowledged at t is pushed at t and reaches
the hub at t + d_push; a pull sent at p reaches it at p + d_pull and returns
the value if t + d_push <= p + d_pull. A read at r is served from a view pulled
at some p >= r - S (S = `--stale-ms`), so it sees every value acknowledged
before r - S - (d_push - d_pull). With equal delays the excess is 0: stable
latency stays under S (the hub's own reads lag by one push). With delays
bounded by D it is at most S + D: `--latency-dist uniform` draws from
[0, 2 x mean), so S + 200 ms at 3d. Exponential delays have no bound: the
excess d_push - d_pull exceeds x with probability exp(-x/mean)/2, so rare
values wait a few means longer. Measured at 3d (`python3
bench/bench_broadcast.py -- --latency-dist D`, median of 3 runs, max in
brackets): constant 191 ms (297, bound 300), uniform 200 ms (433-453, bound
500), exponential 203 ms (595-671, no bound).

Trade-off (3d flags, simulator, bench/bench_broadcast.py --sweep): S=0 costs
about 1.43 servers msgs-per-op for a stable latency of 0 ms median, ~100 ms max;
the default S=300 ms about 1.25 at ~170/295 ms; S=1000 ms about 0.88 at
~770/990 ms. Reads that pull take a round trip (~200 ms). The hub carries every
pull; a leaf cut off from it answers from its older view after
`--pull-timeout-ms` and re-sends its unconfirmed values every `--retry-ms` until
the hub confirms them, so no acknowledged value is lost, only delayed until the
partition heals.
"""
import asyncio
import time

from maelstrom_node import Node, RPCError, require, settings

DEFAULTS = {"stale-ms": 300, "retry-ms": 2500, "pull-timeout-ms": 2000}
# --stale-ms N etc. (or BROADCAST_STALE_MS=N), in ms; OPTS holds them in seconds
OPTS = {name: ms / 1000 for name, ms in settings("BROADCAST", DEFAULTS).items()}
node = Node()

values = set()        # every value this node knows
log = []              # the hub's log, in arrival order (hub only)
have = 0              # leaf: how much of the hub's log it has seen
unconfirmed = {}      # leaf: own value -> when it was first sent
fresh_as_of = None    # leaf: send time of the newest answered pull
pulling = None        # leaf: (send time, task) of the pull in flight, if any


def hub():
    return node.node_ids[0]


def is_hub():
    return node.node_id == hub()


def now():
    return time.monotonic()


def learn(new_values):
    """Add values; at the hub also append them to the log."""
    for value in new_values:
        if value not in values:
            values.add(value)
            if is_hub():
                log.append(value)


# --- client requests ---------------------------------------------------------

@node.on("topology")
def topology(msg):
    require(msg["body"], "topology", dict)
    return {"type": "topology_ok"}


@node.on("broadcast")
def broadcast(msg):
    value = require(msg["body"], "message", int)
    if value not in values:
        learn([value])
        if not is_hub():
            unconfirmed.setdefault(value, now())
            node.send(hub(), {"type": "push", "values": list(unconfirmed)})
    return {"type": "broadcast_ok"}


@node.on("read")
async def read(msg):
    if not is_hub():
        await fresh_view(now() - OPTS["stale-ms"])
    return {"type": "read_ok", "messages": sorted(values)}


# --- hub side ----------------------------------------------------------------

@node.on("push")
def push(msg):
    learn(require(msg["body"], "values", list))


@node.on("sync")
def sync(msg):
    """A leaf's pull: take its unconfirmed values, return the log from `have` on."""
    body = msg["body"]
    start = require(body, "have", int)
    learn(require(body, "values", list))
    return {"type": "sync_ok", "values": log[start:], "upto": len(log)}


# --- leaf side ---------------------------------------------------------------

async def fresh_view(since):
    """Return once this leaf's view includes the hub's log as of `since` or later
    (or a pull failed: then the leaf serves what it has)."""
    if fresh_as_of is not None and fresh_as_of >= since:
        return
    if pulling is None or pulling[0] < since:
        start_pull()
    await pulling[1]


def start_pull():
    global pulling
    sent_at = now()
    pulling = (sent_at, node.spawn(pull(sent_at)))


async def pull(sent_at):
    """One sync with the hub; on success the view is fresh as of `sent_at`."""
    global have, fresh_as_of, pulling
    body = {"type": "sync", "have": have, "values": list(unconfirmed)}
    try:
        reply = await node.rpc(hub(), body, timeout=OPTS["pull-timeout-ms"])
    except RPCError as err:  # a timeout during a partition: keep the old view
        node.log(f"pull failed: {err}")
        return
    finally:
        if pulling is not None and pulling[1] is asyncio.current_task():
            pulling = None
    learn(reply["values"])
    for value in reply["values"]:
        unconfirmed.pop(value, None)
    have = max(have, reply["upto"])
    fresh_as_of = sent_at if fresh_as_of is None else max(fresh_as_of, sent_at)


def retry_unconfirmed():
    """Pull (which re-sends them) when own values have waited too long for the hub."""
    if pulling is None and unconfirmed:
        oldest = min(unconfirmed.values())
        if now() - oldest >= OPTS["retry-ms"]:
            for value in unconfirmed:
                unconfirmed[value] = now()
            start_pull()


node.every(0.25, retry_unconfirmed)

if __name__ == "__main__":
    node.run()
