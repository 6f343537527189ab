"""Grow-only subtotals, each written by one node, replicated to every peer by acknowledged
gossip: the replication g_counter.py and pn_counter.py share.

State. A view {key: non-negative int}. Each key has one owner, the only node that raises it,
and it only grows, so two views merge by taking the larger value per key: a state-based CRDT
(a G-counter's vector; a PN-counter is two of them, two keys per node). Merging is idempotent
and commutative, so duplicated, reordered or repeated gossip never does harm.

Exchange. `gossip {view}` -> `gossip_ok {view}`: the pusher sends its whole view, the peer
merges it and replies with its own merged view, which the pusher merges in turn, so one
exchange carries news both ways. Each node keeps, per peer, the view that peer is known to
have: what the peer sent, what it acknowledged, and what this node sent in a reply (a lost
reply needs no resend from this side: the pusher retries until it gets one). A node pushes to
a peer only when it has news for it, so a quiet cluster sends nothing.

When. While the owning node is busy (its `settled()` says no; e.g. adds keep coming), at most
one exchange per peer per `period`, counting the exchanges the peer started and the attempts
that failed: a pair exchanges about once a period in total, and a cut-off peer is tried no
more often than a reachable one. Once settled, at once, and after a failure again after 0.2,
0.4, then every 0.6 s: when adds stop, every node has every subtotal within the quiet time plus
a round trip, and within about a second of a heal that comes later.
"""
import time

from maelstrom_node import RPCError, require

TICK = 0.05
BACKOFF = (0.2, 0.4, 0.6)   # seconds before retrying a failed push once settled


def now():
    return time.monotonic()


class Subtotals:
    """A replicated view of owned, grow-only ints on one node. Registers `gossip`.

    keys()     the keys a view may hold (e.g. the node ids), checked on every view received
    settled()  True when news should go out at once; else pushes wait for `period`
    """

    def __init__(self, node, keys, settled, period, push_timeout, describe="node ids"):
        self.node, self.keys, self.settled = node, keys, settled
        self.period, self.push_timeout = period, push_timeout
        self.malformed = f"a view maps {describe} to non-negative ints"
        self.view = {}
        self.known = {}           # peer -> the view that peer is known to have
        self.pushing = set()      # peers with a push in flight
        self.last_exchange = {}   # peer -> start of the last push to it or from it
        self.started = now()      # (busy pushes wait a period from here too)
        self.failures = {}        # peer -> failed pushes in a row
        self.retry_at = {}        # peer -> no settled push before this time
        node.on("gossip")(self.on_gossip)
        node.every(TICK, self.tick)

    def get(self, key):
        return self.view.get(key, 0)

    def merge(self, view):
        for key, value in view.items():
            if value > self.view.get(key, 0):
                self.view[key] = value

    def valid(self, view):
        keys = self.keys()
        return isinstance(view, dict) and all(
            k in keys and type(v) is int and v >= 0 for k, v in view.items())

    def news_for(self, peer):
        known = self.known.get(peer, {})
        return any(v > known.get(k, 0) for k, v in self.view.items())

    def mark_known(self, peer, view):
        known = self.known.setdefault(peer, {})
        for key, value in view.items():
            known[key] = max(known.get(key, 0), value)

    def on_gossip(self, msg):
        view = require(msg["body"], "view", dict)
        if not self.valid(view):
            raise RPCError.malformed_request(self.malformed)
        peer = msg["src"]
        self.merge(view)
        self.mark_known(peer, view)
        self.mark_known(peer, self.view)       # the reply carries it
        self.last_exchange[peer] = now()
        return {"type": "gossip_ok", "view": self.view}

    def tick(self):
        """Start the pushes that are due; nothing when no peer lacks anything."""
        t, settled = now(), self.settled()
        for peer in self.node.peers:
            if peer in self.pushing or not self.news_for(peer):
                continue
            if settled:
                due = self.retry_at.get(peer, 0)
            else:
                due = self.last_exchange.get(peer, self.started) + self.period
            if t >= due:
                self.node.spawn(self.push(peer))

    async def push(self, peer):
        self.pushing.add(peer)
        self.last_exchange[peer] = now()
        sent = dict(self.view)
        try:
            reply = await self.node.rpc(peer, {"type": "gossip", "view": sent},
                                        timeout=self.push_timeout)
        except RPCError:
            failures = self.failures[peer] = self.failures.get(peer, 0) + 1
            self.retry_at[peer] = now() + BACKOFF[min(failures, len(BACKOFF)) - 1]
            return
        finally:
            self.pushing.discard(peer)
        self.failures[peer] = 0
        if self.valid(reply.get("view")):
            self.merge(reply["view"])
            self.mark_known(peer, reply["view"])
        self.mark_known(peer, sent)
