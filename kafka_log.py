#!/usr/bin/env python3
"""Kafka-style log (challenges 5a-5c): local offsets, batched acknowledged replication.

Approach. Every node hands out offsets from its own residue class: node i of n uses
i, i+n, i+2n, ... from one counter shared by all keys (offsets may be sparse), so a send is
answered at once, without asking anyone, and two nodes can never pick the same offset. The
counter only grows, so each node's offsets rise per key. A node's counter is also its
*floor*: a promise that it will never again assign an offset below it.

Each node appends its sends and commits to an event list and, every SYNC_INTERVAL, sends
every peer one `sync` message: the events that peer has not acknowledged, the node's floor,
and its own acknowledgements of that peer's events and floor. Events are resent until
acknowledged (a lost message costs one interval, never a stall), applied in order exactly
once, and nothing is sent when there is nothing new to send or to acknowledge.

A poll returns, per key, at most POLL_CAP messages from the asked offset and only below the
*stable* bound: the lowest floor this node knows of (its own included). Everything below it
has already arrived here - a peer's floor travels after the events it covers - so a poll
never skips an offset that exists, and every node returns a prefix of the same merged log.
To keep that bound moving when a node gets no sends, a node that learns a peer's floor F
raises its own counter to at least F-n+1; that never raises the highest floor, so floors
settle after one exchange instead of ratcheting each other up.

Committed offsets only grow (max-merge) and are replicated as events too, so any node
answers `list_committed_offsets` with what it has learnt, never less than before.

Partitions: polls stall. A node learns a peer's floor only from that peer's own syncs, so
while it cannot hear from some peer its stable bound stays at that peer's last floor: its
polls return nothing newer, although sends on both sides keep succeeding (offsets are
local). With two nodes any partition freezes polls on both; with more, every node cut off
from any one peer freezes (a node that still hears from everyone keeps advancing). Sends
acknowledged during a partition are first polled after it heals. While a peer's acks stand
still, the unacknowledged backlog (up to BATCH_CAP events) is resent only after back-offs
of 1, 1, 2, 4, then MAX_BACKOFF = 8 rounds (1.6 s); the rounds in between send a probe
without events, which the peer answers as soon as the link heals, ending the back-off.
Measured on the 5c flags with `--nemesis partition` (`python3 bench/bench_kafka.py
--runs 3 -- --nemesis partition`): polls lag sends by a median of 150-300 ms; a partition
stalls them for its whole length (behind a 4.1 s one: 4.5 s at most), and they resume
65-80 ms after the heal; sends made during a partition still open when the run ends wait
for the final heal.

Durability trade-off: a send is acknowledged once it is in this node's memory. If a node
process dies, the sends and commits it acknowledged in its last interval (not yet
replicated) are lost, and since its floor stops moving the survivors' polls stall for good,
as behind a partition that never heals (there is no failure detector). Nothing is on
disk; if every node dies, everything is gone.
"""
from bisect import bisect_left

from maelstrom_node import Node, RPCError, require

SYNC_INTERVAL = 0.2   # seconds between replication rounds
MAX_BACKOFF = 8       # rounds between resends of the backlog at most, to a silent peer
POLL_CAP = 100        # messages per key in one poll reply
BATCH_CAP = 5000      # events per sync message


class KeyLog:
    """One key's messages, ordered by offset."""

    def __init__(self):
        self.offsets = []
        self.msgs = []

    def insert(self, offset, msg):
        if not self.offsets or offset > self.offsets[-1]:
            self.offsets.append(offset)
            self.msgs.append(msg)
            return
        i = bisect_left(self.offsets, offset)
        if i < len(self.offsets) and self.offsets[i] == offset:
            return
        self.offsets.insert(i, offset)
        self.msgs.insert(i, msg)

    def read(self, start, stop, cap):
        """[[offset, msg], ...] for start <= offset < stop, at most cap of them."""
        i = bisect_left(self.offsets, start)
        out = []
        while i < len(self.offsets) and self.offsets[i] < stop and len(out) < cap:
            out.append([self.offsets[i], self.msgs[i]])
            i += 1
        return out


class Peer:
    """What this node knows about replication with one other node."""

    def __init__(self, floor):
        self.acked = 0            # how many of our events the peer has applied
        self.floor_acked = -1     # our floor as the peer last confirmed it
        self.applied = 0          # how many of the peer's events we have applied
        self.floor = floor        # the peer's floor as we know it
        self.owe_ack = False      # the peer asked us to confirm what we have
        self.skip = 0             # back-off: rounds to wait before resending the backlog
        self.stalls = 0           # resends in a row after which the peer's acks stood still
        self.acks_at_send = None  # (acked, floor_acked) when we last sent, while waiting


class Replica:
    """All of a node's state: logs, committed offsets, its counter and its event stream."""

    def __init__(self, me, node_ids):
        self.n = len(node_ids)
        self.next_offset = node_ids.index(me)
        self.logs = {}
        self.committed = {}
        self.events = []          # our sends ["m", key, offset, msg] and commits ["c", key, offset]
        self.floors = []          # our floor right after each event
        self.base = 0             # global index of events[0] (acked prefixes are dropped)
        self.peers = {p: Peer(node_ids.index(p)) for p in node_ids if p != me}

    # client requests

    def send(self, key, msg):
        offset = self.next_offset
        self.next_offset += self.n
        self.logs.setdefault(key, KeyLog()).insert(offset, msg)
        self._record(["m", key, offset, msg])
        return offset

    def poll(self, offsets):
        stable = self.stable()
        out = {}
        for key, start in offsets.items():
            log = self.logs.get(key)
            msgs = log.read(start, stable, POLL_CAP) if log else []
            if msgs:
                out[key] = msgs
        return out

    def commit(self, offsets):
        for key, offset in offsets.items():
            if offset > self.committed.get(key, -1):
                self.committed[key] = offset
                self._record(["c", key, offset])

    def list_committed(self, keys):
        return {k: self.committed[k] for k in keys if k in self.committed}

    def stable(self):
        """Every offset below this that exists anywhere is already in our logs."""
        return min([self.next_offset] + [p.floor for p in self.peers.values()])

    def _record(self, event):
        self.events.append(event)
        self.floors.append(self.next_offset)

    # replication

    def sync_for(self, name):
        """This round's sync body for one peer, or None when there is nothing to send or
        confirm. While the peer's acks stand still, the backlog is resent only when its
        back-off runs out; the rounds in between send a probe (no events) that the peer
        answers as soon as it can hear us, and hearing from it ends the back-off."""
        peer = self.peers[name]
        end = self.base + len(self.events)
        unacked = end > peer.acked
        new_floor = self.next_offset > peer.floor_acked
        if not (unacked or new_floor or peer.owe_ack):
            peer.acks_at_send, peer.stalls = None, 0    # all confirmed: nothing to wait for
            return None
        if peer.skip and not peer.owe_ack:             # a floor the peer already has
            peer.skip -= 1
            return self._sync(peer, [], peer.floor_acked, need_ack=True)
        self._back_off(peer)
        peer.owe_ack = False
        start = peer.acked - self.base
        batch = self.events[start:start + BATCH_CAP]
        last = start + len(batch)
        floor = self.next_offset if last == len(self.events) else self.floors[last - 1]
        return self._sync(peer, batch, floor, need_ack=unacked or new_floor)

    @staticmethod
    def _sync(peer, events, floor, need_ack):
        return {"type": "sync", "from": peer.acked, "events": events, "floor": floor,
                "ack": peer.applied, "your_floor": peer.floor, "need_ack": need_ack}

    def _back_off(self, peer):
        """Rounds until the next resend: the next one, doubled for each further resend in a
        row that finds the peer's acks where the previous one left them, up to MAX_BACKOFF.
        (An ack normally arrives within a round, so one miss is not counted.)"""
        acks = (peer.acked, peer.floor_acked)
        peer.stalls = peer.stalls + 1 if acks == peer.acks_at_send else 0
        peer.acks_at_send = acks
        peer.skip = min(2 ** max(peer.stalls - 1, 0), MAX_BACKOFF) - 1

    def on_sync(self, name, body):
        peer = self.peers[name]
        peer.skip = 0                     # we hear the peer: resend at once if need be
        peer.acked = max(peer.acked, body["ack"])
        peer.floor_acked = max(peer.floor_acked, body["your_floor"])
        peer.owe_ack = peer.owe_ack or body["need_ack"]
        start, events = body["from"], body["events"]
        if start <= peer.applied:
            for event in events[peer.applied - start:]:
                self._apply(event)
            peer.applied = max(peer.applied, start + len(events))
            self._learn_floor(peer, body["floor"])
        self._trim()

    def _apply(self, event):
        if event[0] == "m":
            _, key, offset, msg = event
            self.logs.setdefault(key, KeyLog()).insert(offset, msg)
        else:
            _, key, offset = event
            self.committed[key] = max(self.committed.get(key, -1), offset)

    def _learn_floor(self, peer, floor):
        peer.floor = max(peer.floor, floor)
        lowest = floor - self.n + 1
        if self.next_offset < lowest:
            self.next_offset += -(-(lowest - self.next_offset) // self.n) * self.n

    def _trim(self):
        """Forget events every peer has applied."""
        done = min((p.acked for p in self.peers.values()), default=self.base + len(self.events))
        drop = done - self.base
        if drop > 1000:
            del self.events[:drop]
            del self.floors[:drop]
            self.base = done


node = Node()
state = {}


@node.on_init
def start():
    state["log"] = Replica(node.node_id, node.node_ids)


def replica():
    return state["log"]


@node.on("send")
def send(msg):
    body = msg["body"]
    key, value = require(body, "key", str), require(body, "msg", object)
    return {"type": "send_ok", "offset": replica().send(key, value)}


@node.on("poll")
def poll(msg):
    return {"type": "poll_ok", "msgs": replica().poll(offsets_of(msg["body"]))}


@node.on("commit_offsets")
def commit_offsets(msg):
    replica().commit(offsets_of(msg["body"]))
    return {"type": "commit_offsets_ok"}


@node.on("list_committed_offsets")
def list_committed_offsets(msg):
    keys = require(msg["body"], "keys", list)
    if not all(isinstance(k, str) for k in keys):
        raise RPCError.malformed_request("keys must be strings")
    return {"type": "list_committed_offsets_ok", "offsets": replica().list_committed(keys)}


def offsets_of(body):
    offsets = require(body, "offsets", dict)
    if not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets.values()):
        raise RPCError.malformed_request("offsets must be ints")
    return offsets


@node.on("sync")
def sync(msg):
    replica().on_sync(msg["src"], msg["body"])


def replicate():
    for name in replica().peers:
        body = replica().sync_for(name)
        if body:
            node.send(name, body)


node.every(SYNC_INTERVAL, replicate)

if __name__ == "__main__":
    node.run()
