"""A grow-only set replicated through a hub log: leaves push values and pull on read.

One home for the mechanism broadcast.py (3a-3e) and g_set.py share; each of them only maps its
client messages onto `HubLog.add` and `HubLog.read`.

Approach. The first node of `node_ids` is the hub; it keeps every value in one
append-only log. Every other node (a leaf) does two things:
  push  a client's value goes to the hub at once, in one fire-and-forget message
        (`push`, with any of the leaf's values the hub has not yet confirmed);
  pull  before answering a read, a leaf whose view is older than `--stale-ms`
        asks the hub for the log from where it left off (`sync` -> `sync_ok`);
        the reply also confirms the leaf's own values that the hub now holds.
The hub answers reads from its log. No timer sends anything, except a `sync`
from a leaf whose value the hub has not confirmed for `--retry-ms`: a quiet
cluster sends nothing.

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
values wait a few means longer.

Partitions. A leaf cut off from the hub answers from its older view after
`--pull-timeout-ms` and re-sends its unconfirmed values every `--retry-ms`
until the hub confirms them, so no acknowledged value is lost, only delayed
until the partition heals. Values are kept in memory: a process crash loses
what it held (Maelstrom's set workloads have no crash nemesis).
"""
import asyncio
import time

from maelstrom_node import RPCError, require, settings

DEFAULTS = {"stale-ms": 300, "retry-ms": 2500, "pull-timeout-ms": 2000}
RETRY_CHECK = 0.25    # how often a leaf looks for values the hub has not confirmed


def now():
    return time.monotonic()


def values_of(body):
    """A peer's `values`: a list of ints, else error 12 before any change."""
    values = require(body, "values", list)
    if not all(type(value) is int for value in values):
        raise RPCError.malformed_request("values must be ints")
    return values


class HubLog:
    """The replicated set on one node. Registers the node-to-node messages `push` and
    `sync`; tunables come from `--stale-ms N` etc. (or PREFIX_STALE_MS=N), in ms."""

    def __init__(self, node, prefix):
        self.node = node
        self.opts = {name: ms / 1000 for name, ms in settings(prefix, DEFAULTS).items()}
        self.values = set()       # every value this node knows
        self.log = []             # the hub's log, in arrival order (hub only)
        self.have = 0             # leaf: how much of the hub's log it has seen
        self.unconfirmed = {}     # leaf: own value -> when it was first sent
        self.fresh_as_of = None   # leaf: send time of the newest answered pull
        self.pulling = None       # leaf: (send time, task) of the pull in flight, if any
        node.on("push")(self.on_push)
        node.on("sync")(self.on_sync)
        node.every(RETRY_CHECK, self.retry_unconfirmed)

    @property
    def hub(self):
        return self.node.node_ids[0]

    @property
    def is_hub(self):
        return self.node.node_id == self.hub

    # --- what a challenge file calls ---------------------------------------------

    def add(self, value):
        """A client's value: known here at once, pushed to the hub by a leaf."""
        if value in self.values:
            return
        self.learn([value])
        if not self.is_hub:
            self.unconfirmed.setdefault(value, now())
            self.node.send(self.hub, {"type": "push", "values": list(self.unconfirmed)})

    async def read(self):
        """Every value, sorted; a leaf first makes its view at most --stale-ms old."""
        if not self.is_hub:
            await self.fresh_view(now() - self.opts["stale-ms"])
        return sorted(self.values)

    def learn(self, new_values):
        """Add values; at the hub also append them to the log."""
        for value in new_values:
            if value not in self.values:
                self.values.add(value)
                if self.is_hub:
                    self.log.append(value)

    # --- hub side ------------------------------------------------------------------

    def on_push(self, msg):
        self.learn(values_of(msg["body"]))

    def on_sync(self, msg):
        """A leaf's pull: take its unconfirmed values, return the log from `have` on."""
        body = msg["body"]
        start = require(body, "have", int)
        self.learn(values_of(body))
        return {"type": "sync_ok", "values": self.log[start:], "upto": len(self.log)}

    # --- leaf side -----------------------------------------------------------------

    async def fresh_view(self, since):
        """Return once this leaf's view includes the hub's log as of `since` or later
        (or a pull failed: then the leaf serves what it has)."""
        if self.fresh_as_of is not None and self.fresh_as_of >= since:
            return
        if self.pulling is None or self.pulling[0] < since:
            self.start_pull()
        await self.pulling[1]

    def start_pull(self):
        sent_at = now()
        self.pulling = (sent_at, self.node.spawn(self.pull(sent_at)))

    async def pull(self, sent_at):
        """One sync with the hub; on success the view is fresh as of `sent_at`."""
        body = {"type": "sync", "have": self.have, "values": list(self.unconfirmed)}
        try:
            reply = await self.node.rpc(self.hub, body, timeout=self.opts["pull-timeout-ms"])
        except RPCError as err:  # a timeout during a partition: keep the old view
            self.node.log(f"pull failed: {err}")
            return
        finally:
            if self.pulling is not None and self.pulling[1] is asyncio.current_task():
                self.pulling = None
        self.learn(reply["values"])
        for value in reply["values"]:
            self.unconfirmed.pop(value, None)
        self.have = max(self.have, reply["upto"])
        self.fresh_as_of = sent_at if self.fresh_as_of is None else max(self.fresh_as_of, sent_at)

    def retry_unconfirmed(self):
        """Pull (which re-sends them) when own values have waited too long for the hub."""
        if self.pulling is None and self.unconfirmed:
            oldest = min(self.unconfirmed.values())
            if now() - oldest >= self.opts["retry-ms"]:
                for value in self.unconfirmed:
                    self.unconfirmed[value] = now()
                self.start_pull()
