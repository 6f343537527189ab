#!/usr/bin/env python3
"""Challenges 3a-3e, broadcast: a hub that keeps the log, leaves that push and pull.

Approach. The first node of `node_ids` is the hub; it keeps every value in one
append-only log. Every other node (a leaf) does two things:
  push  a client's value goes to the hub at once, in one fire-and-forget message
        (carrying any of the leaf's values the hub has not yet confirmed);
  pull  before answering a read, a leaf whose view is older than `--stale-ms`
        asks the hub for the log from where it left off (`sync` -> `sync_ok`).
        The reply also confirms which of the leaf's own values the hub has.
The hub answers reads from its log; the topology message is acknowledged and
ignored. Nothing is sent on a timer except a `sync` from a leaf holding a value
the hub has not confirmed for `--retry-ms`, so a quiet cluster sends nothing.

Why it is cheap and fast. A value costs one message to reach the hub (about
0.47 msgs-per-op at 3d's mix) and a pull costs two, so the message bill is
set by how often leaves pull, not by how many nodes there are: a hub pushing
batches to 24 leaves every T seconds would cost 24/T messages a second
whether or not anyone reads. A pulled read sees every value acknowledged
before the pull reached the hub, so a read served after a fresh pull misses
nothing that was acknowledged before it began; only reads served from a view
at most `--stale-ms` old (and the hub's own reads, one hop behind) can miss a
value, which bounds stable latency near `--stale-ms`.

Trade-off. A read that pulls waits one round trip to the hub (200 ms at 3d's
latency); `--stale-ms` trades messages (fewer pulls) for stable latency. The
hub carries every pull; a leaf cut off from it serves its own, older view after
`--pull-timeout-ms`, keeps its unconfirmed values and re-sends them every
`--retry-ms` until the hub confirms them, so no acknowledged value is lost,
only delayed until the partition heals.
"""
import asyncio
import sys
import time

from maelstrom_node import Node, RPCError, require

DEFAULTS = {"stale-ms": 300, "retry-ms": 2500, "pull-timeout-ms": 2000}


def options(argv):
    """Read `--NAME N` for the names in DEFAULTS from argv; ignore anything else."""
    found = dict(DEFAULTS)
    for flag, value in zip(argv, argv[1:]):
        name = flag[2:] if flag.startswith("--") else None
        if name in found:
            try:
                found[name] = float(value)
            except ValueError:
                pass
    return {name: ms / 1000 for name, ms in found.items()}


OPTS = options(sys.argv[1:])
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
