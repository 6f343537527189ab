#!/usr/bin/env python3
"""Challenges 6a-6c, txn-rw-register: totally available, read-committed transactions.

Approach: every node answers a transaction at once from its own store and replicates its
writes in the background. A transaction that writes gets a version (Lamport counter, node
id), unique and totally ordered; it reads from the store (or its own earlier writes), then
installs its last write per key. Every replica keeps, per key, the value with the highest
version, whatever order versions arrive in. So:
  - no dirty writes (G0): all keys order two transactions by the same version pair, on
    every replica;
  - no aborted (G1a) or intermediate (G1b) reads: a transaction's writes become visible
    only when it commits, and only its final write per key is ever installed or sent;
  - no circular information flow (G1c): a node's counter jumps past every version it
    applies, so anything a transaction read or overwrote has a lower version than its own;
  - nothing ever aborts, so no code 30 is needed.
Replication: each node numbers its own writing transactions 1, 2, 3, ... and every 100 ms
sends each peer one batch of the ones it has not sent yet, carrying in the same message the
highest number it has received in order from that peer (the ack). Batches are fire and
forget; a node that sees no ack progress for a second resends everything unacknowledged, so
writes survive partitions. Trade-off: read committed only — reads are not repeatable, and
two nodes may answer from different states until a batch lands (up to ~100 ms, or a whole
partition); in exchange every request is answered locally and replication costs about one
message per peer per 100 ms, with acknowledgements riding on the batches.
"""
import time

from maelstrom_node import Node, RPCError, require

TICK = 0.1   # seconds between batches
RETRY = 1.0  # resend everything unacknowledged after this long without ack progress

node = Node()
store = {}        # key -> (version, value); version = (counter, node id)
clock = 0         # Lamport counter: above every version this node has seen
log = []          # [counter, [[k, v], ...]] of this node's writing txns; log[i] is seq base+i+1
log_base = 0      # how many of this node's txns every peer has acknowledged (trimmed)
sent = {}         # peer -> highest own seq sent to it
acked = {}        # peer -> highest own seq it acknowledged
progress = {}     # peer -> when its ack last advanced (or we last resent)
received = {}     # peer -> highest seq of its txns applied in order
ack_sent = {}     # peer -> the `received` value last reported to it


@node.on_init
def start():
    for peer in node.peers:
        sent[peer] = acked[peer] = received[peer] = ack_sent[peer] = 0
        progress[peer] = time.monotonic()


@node.on("txn")
def txn(msg):
    """Run a transaction against the local store and commit it at once."""
    ops = require(msg["body"], "txn", list)
    for op in ops:
        if not (isinstance(op, list) and len(op) == 3 and op[0] in ("r", "w") and is_key(op[1])):
            raise RPCError.malformed_request(f"bad micro-op {op!r}")
    done, writes = [], {}
    for f, k, v in ops:
        if f == "r":
            v = writes[k] if k in writes else read(k)
        else:
            writes[k] = v
        done.append([f, k, v])
    if writes:
        commit(list(writes.items()))
    return {"type": "txn_ok", "txn": done}


def is_key(k):
    """Keys are ints (Maelstrom's) or strings: JSON values that stay distinct as dict keys."""
    return isinstance(k, (int, str)) and not isinstance(k, bool)


def read(k):
    entry = store.get(k)
    return None if entry is None else entry[1]


def commit(writes):
    """Give the txn the next version, install it, and queue it for every peer."""
    global clock
    clock += 1
    apply((clock, node.node_id), writes)
    if node.peers:
        log.append([clock, writes])


def apply(version, writes):
    """Install each write whose version beats the key's current one."""
    global clock
    clock = max(clock, version[0])
    for k, v in writes:
        current = store.get(k)
        if current is None or version > current[0]:
            store[k] = (version, v)


@node.on("replicate")
def replicate(msg):
    """A peer's batch: its txns numbered from `from_seq`, and its ack of ours."""
    body, peer = msg["body"], msg["src"]
    if peer not in received:
        return None
    ack, seq, txns = check_batch(body)
    if ack > acked[peer]:
        acked[peer] = ack
        progress[peer] = time.monotonic()
    for counter, writes in txns:
        if seq > received[peer]:
            apply((counter, peer), writes)
            if seq == received[peer] + 1:
                received[peer] = seq
        seq += 1
    return None


def check_batch(body):
    """A batch's ack, first seq and txns, every part checked before anything changes."""
    ack, seq, txns = require(body, "ack", int), require(body, "from_seq", int), \
        require(body, "txns", list)
    for entry in txns:
        if not (isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int
                and isinstance(entry[1], list)
                and all(isinstance(w, list) and len(w) == 2 and is_key(w[0]) for w in entry[1])):
            raise RPCError.malformed_request(f"bad replicated txn {entry!r}")
    return ack, seq, txns


def flush():
    """Send each peer what it has not seen yet (or everything unacked, on retry)."""
    now, newest = time.monotonic(), log_base + len(log)
    for peer in node.peers:
        if acked[peer] < sent[peer] and now - progress[peer] > RETRY:
            sent[peer] = acked[peer]
            progress[peer] = now
        if sent[peer] == newest and received[peer] == ack_sent[peer]:
            continue
        start = sent[peer]
        if acked[peer] == start:  # nothing outstanding: the retry clock starts now
            progress[peer] = now
        node.send(peer, {"type": "replicate", "from_seq": start + 1,
                         "txns": log[start - log_base:], "ack": received[peer]})
        sent[peer], ack_sent[peer] = newest, received[peer]
    trim()


def trim():
    """Forget txns every peer has acknowledged."""
    global log, log_base
    done = min(acked.values(), default=log_base + len(log))
    if done > log_base:
        log = log[done - log_base:]
        log_base = done


node.every(TICK, flush)

if __name__ == "__main__":
    node.run()
