#!/usr/bin/env python3
"""txn-list-append: strictly serializable transactions on the Raft core in raft.py.

Approach. One Raft log orders every transaction that appends; every node applies
the committed log, in order, to its {key: list} (a read inside a transaction sees
the state its log position gives it, and the transaction's own earlier appends).
A client's transaction goes to raft.propose: the leader logs it, a follower
forwards it (batched) to the leader, and the leader answers the client directly
once the entry is applied (Maelstrom's client takes a reply from any node). A
read-only transaction is not logged: raft.read serves it at the leader, under its
lease, from a state that holds every entry it had logged when the read arrived.
The core runs with flexible quorums (raft.py): elections need a majority, commit
needs the fewest nodes that meet every election quorum - on two nodes the leader
alone, which then replicates to its follower with heartbeats (10 a second, an ack
every other one) instead of before every commit. On three nodes that is the usual
majority. The log is compacted into a snapshot (the whole {key: list}) every
`compact-every` applied entries, so memory follows the data.

Why strictly serializable. Take the log order, with each read-only transaction
placed where the leader served it. Every appending transaction takes effect, all
at once, at its log index on every node (Raft's State Machine Safety) and its
reads are computed there, so the order is serial. It is real-time too: a
transaction is answered only after it commits (or, read-only, while its leader
holds the lease), so whatever was answered before another one started is
committed before that one is logged or read (raft.py: Leader Completeness and the
lease argument, both for flexible quorums). Nothing ever aborts: no error 30.
Error 11 is answered only for a transaction no leader logged (raft.py's
rejections), after holding it up to `hold` seconds for an election; a logged one
is answered ok or not at all (an indefinite timeout), never after `answer-within`
seconds from its arrival (every node of a run reads one monotonic clock, so the
deadline travels with the forwarded transaction).

Trade-off. A single leader executes every transaction: clients at a follower pay a
forward (one server message, none for the answer), and throughput is one node's.
On two nodes the flexible quorum trades replication before commit for messages:
a commit lives on the leader alone until the next heartbeat (up to 0.1 s), which
is safe for Raft's election rules and for Maelstrom (no process crashes), and no
less available than a majority of two (neither can elect a replacement without
both nodes); a crash that lost the leader's memory would lose those commits.

Figures (`make bench-list-append ARGS="--seeds 1-10"`: the simulator, 30 s at --rate
100, seeds 1-10; medians, range; README has the details), all 10/10 valid:
  --node-count 2                 servers msgs-per-op 0.510 (0.506-0.513), ok-fraction 1.0,
                                 latency p50 1.1 ms, p99 8.1 ms   [target <= 1.0: met]
  --node-count 2 --concurrency 10n            0.625 (0.621-0.628), ok 1.0, 1.2 / 12.0 ms
  --node-count 3 --concurrency 10n --nemesis partition
                                 2.14 (1.98-2.59), ok 0.981 (0.959-1.0), 2.9 / 1012 ms
  whole database in lin-kv (tests/nodes/list_append_linkv.py), 2 nodes: 3.50, ok 0.950.
On two nodes: a forward per transaction of n1's client (about a third of the ops; n0 wins
the first election) plus ~15 replication messages a second; 0.74-0.76 if n1 leads, and
1.77-1.80 with majority commit (flexible=False).
"""
import itertools
import json
import time

from maelstrom_node import Code, Node, RPCError, log, require, settings
from raft import MESSAGE_TYPES, Raft

SETTINGS = settings("TXN_LIST_APPEND", {"compact-every": 1000, "hold": 1.0,
                                        "answer-within": 4.5})
COMPACT_EVERY = int(SETTINGS["compact-every"])
HOLD = SETTINGS["hold"]                    # retry a refused transaction this long
ANSWER_WITHIN = SETTINGS["answer-within"]  # Maelstrom's client gives up after 5 s
RETRY = 0.02                               # how often held transactions are retried
IDLE = 1.0                                 # the longest the core goes untouched

node = Node()
lists = {}             # the state machine: key -> list of elements
raft = None
command_ids = itertools.count(1)
held = []              # transactions no leader took yet, retried until their hold ends


@node.on_init
def start():
    global raft
    raft = Raft(node.node_id, node.node_ids, now=time.monotonic(), flexible=True)


@node.on("txn")
def txn(msg):
    ops = require(msg["body"], "txn", list)
    for op in ops:
        if not (isinstance(op, list) and len(op) == 3 and op[0] in ("r", "append")
                and isinstance(op[1], (int, str)) and not isinstance(op[1], bool)):
            raise RPCError.malformed_request(f"bad micro-op {json.dumps(op)}")
    submit({"client": msg["src"], "msg_id": msg["body"].get("msg_id"), "txn": ops,
            "deadline": time.monotonic() + ANSWER_WITHIN})
    drive()


def submit(op):
    now = time.monotonic()
    if all(f == "r" for f, _, _ in op["txn"]):
        raft.read(op, now)
    else:
        raft.propose(f"{node.node_id}:{next(command_ids)}", op, now)


def on_peer(msg):
    raft.receive(msg["src"], msg["body"], time.monotonic())
    drive()


for message_type in MESSAGE_TYPES:
    node.on(message_type)(on_peer)


# -- the state machine ------------------------------------------------------------------

def run(ops):
    """Run a transaction's micro-ops in order; reads get a copy of the list (or None)."""
    done = []
    for f, k, v in ops:
        if f == "r":
            v = list(lists[k]) if k in lists else None
        else:
            lists.setdefault(k, []).append(v)
        done.append([f, k, v])
    return {"type": "txn_ok", "txn": done}


def snapshot():
    return [[k, list(v)] for k, v in lists.items()]    # pairs: JSON keeps int keys as ints


def restore(state):
    lists.clear()
    lists.update((k, list(v)) for k, v in state)


def answer(op, body):
    if op["msg_id"] is None:
        return
    if time.monotonic() >= op["deadline"]:
        log(f"not answering msg {op['msg_id']} of {op['client']}: its client has given up")
        return
    node.send(op["client"], {**body, "in_reply_to": op["msg_id"]})


def refused(op):
    """No leader took the op (it was never logged): hold it for a while, then say so."""
    if time.monotonic() < op["deadline"] - ANSWER_WITHIN + HOLD:
        held.append(op)
    else:
        answer(op, {"type": "error", "code": int(Code.TEMPORARILY_UNAVAILABLE),
                    "text": "no leader could take this transaction"})


def drive():
    """Retry held transactions, tick the core and carry out its effects; compact the log
    now and then; arm the timer for the core's next deadline."""
    if raft is None:
        return
    retry = held[:]
    held.clear()
    for op in retry:
        submit(op)
    raft.tick(time.monotonic())
    ready = raft.take_ready()
    for dest, body in ready.messages:
        node.send(dest, body)
    if ready.snapshot is not None:
        restore(ready.snapshot)
        log(f"installed the leader's snapshot at index {raft.log.start}")
    for applied in ready.applied:
        result = run(applied.command["txn"])
        if applied.owned:
            answer(applied.command, result)
    for op in ready.reads:
        answer(op, run(op["txn"]))
    for op in ready.rejected:
        refused(op)
    if raft.applied - raft.log.start >= COMPACT_EVERY:
        raft.compact(snapshot())
    wait = min(raft.next_deadline() - time.monotonic(), RETRY if held else IDLE)
    timer.reset(max(0.0, wait))


timer = node.after(0.0, drive)

if __name__ == "__main__":
    node.run()
