#!/usr/bin/env python3
"""lin-kv: a linearizable key-value store (read, write, cas) on the Raft core in raft.py.

Approach. Every node runs a `raft.Raft` and applies its committed commands, in
log order, to a dict. A client's write or cas is proposed to Raft: the leader
logs it, a follower forwards it (batched) to the leader it knows, a node that
knows no live leader refuses it with error 11 at once (nothing was logged or
sent anywhere, so the error is true). Exactly one node holds an op at a time,
and only the holder answers: the node that logged a command answers its client
once the command is applied - the leader, even for a client of a follower
(Maelstrom's client matches a reply by in_reply_to, whatever node sends it).
So 20 and 22 come only from the state machine, at apply time, and an op once
forwarded gets its real answer, or 11 from the one node that then holds it and
did not log it, or nothing. Reads are not logged: the leader answers them under
its lease once its commit covers every entry it holds; followers forward them.
raft.py's docstring has the rules, the safety arguments and the message budget.

Timers. One one-shot timer drives the core: it fires at `raft.next_deadline()`
(an election, a heartbeat, a batch slot, a read's wait) and, after any event, at
once - so messages read together are handled together and answered with one
tick. An idle cluster therefore wakes only for heartbeats (every 0.1 s per
follower) and ack requests; no polling.

Late answers. Maelstrom's lin-kv client waits max(10 x latency, 1000) ms; a
reply after that is at best ignored and, with a client that is closed after a
timeout (Maelstrom's older lin-kv client), makes Maelstrom's network refuse the
node's stdout for the rest of the test. So every op carries the time it
arrived (time.monotonic(): every node of a run shares the machine's clock) and
whoever answers drops an answer more than REPLY_WINDOW after that: the op stays
indefinite, which is the truth.

Trade-offs: forwarding instead of refusing costs a server message per op at a
follower but serves about a third more ops than Maelstrom's demo; answering
reads under a lease costs no messages but leans on bounded clock drift (one
machine's monotonic clock here).
"""
import itertools
import time

from maelstrom_node import Code, Node, require
from raft import LEADER, MESSAGE_TYPES, Raft

REPLY_WINDOW = 0.9      # seconds after an op arrived; the client gives up at 1 s

node = Node()
kv = {}
command_ids = itertools.count(1)
raft = None
wake = None             # the one timer that drives the core
woken = False           # an event is waiting for the next drive()
led_term = None
first_op_logged = False


@node.on_init
def start():
    global raft, wake
    raft = Raft(node.node_id, node.node_ids, now=time.monotonic())
    wake = node.after(0, drive)


def client_op(msg, **fields):
    """What the core carries for a client op: who to answer, when it arrived, the op."""
    global first_op_logged
    at = time.monotonic()
    if not first_op_logged:     # lets bench/bench_raft.py align this log with the history
        first_op_logged = True
        node.log(f"first client op at monotonic {at:.6f}")
    return {"client": msg["src"], "msg_id": msg["body"].get("msg_id"), "at": at, **fields}


@node.on("read")
def read(msg):
    op = client_op(msg, key=require(msg["body"], "key", (int, str)))
    raft.read(op, op["at"])
    poke()


@node.on("write")
def write(msg):
    body = msg["body"]
    propose(client_op(msg, op="write", key=require(body, "key", (int, str)),
                      value=require(body, "value", object)))


@node.on("cas")
def cas(msg):
    body = msg["body"]
    propose(client_op(msg, op="cas", key=require(body, "key", (int, str)),
                      **{"from": require(body, "from", object), "to": require(body, "to", object)}))


def propose(op):
    raft.propose(f"{node.node_id}:{next(command_ids)}", op, op["at"])
    poke()


def on_peer(msg):
    raft.receive(msg["src"], msg["body"], time.monotonic())
    poke()


for message_type in MESSAGE_TYPES:
    node.on(message_type)(on_peer)


# -- the state machine ------------------------------------------------------------

def apply(op):
    """Apply a committed write or cas; return the reply body."""
    key = op["key"]
    if op["op"] == "write":
        kv[key] = op["value"]
        return {"type": "write_ok"}
    if key not in kv:
        return error(Code.KEY_DOES_NOT_EXIST, f"key {key} does not exist")
    if kv[key] != op["from"]:
        return error(Code.PRECONDITION_FAILED, f"expected {op['from']}, had {kv[key]}")
    kv[key] = op["to"]
    return {"type": "cas_ok"}


def lookup(key):
    if key not in kv:
        return error(Code.KEY_DOES_NOT_EXIST, f"key {key} does not exist")
    return {"type": "read_ok", "value": kv[key]}


def error(code, text):
    return {"type": "error", "code": int(code), "text": text}


def answer(op, body):
    """Reply to the op's client, unless it has surely given up (see Late answers)."""
    if op["msg_id"] is None:
        return
    late = time.monotonic() - op["at"]
    if late > REPLY_WINDOW:
        node.log(f"not answering {op['client']} msg {op['msg_id']}: {late:.2f} s after it arrived")
        return
    node.send(op["client"], {**body, "in_reply_to": op["msg_id"]})


# -- driving the core -----------------------------------------------------------------

def poke():
    """An event changed the core: drive it once the messages at hand are handled."""
    global woken
    if not woken:
        woken = True
        wake.reset(0)


def drive():
    """Tick the core, carry out its effects, and sleep until its next deadline."""
    global woken
    woken = False
    raft.tick(time.monotonic())
    ready = raft.take_ready()
    for dest, body in ready.messages:
        node.send(dest, body)
    for applied in ready.applied:
        result = apply(applied.command)
        if applied.owned:
            answer(applied.command, result)
    for request in ready.reads:
        answer(request, lookup(request["key"]))
    for op in ready.rejected:
        answer(op, error(Code.TEMPORARILY_UNAVAILABLE, "no leader can take this now"))
    note_leadership()
    if not woken:
        wake.reset(max(0.0, raft.next_deadline() - time.monotonic()))


def note_leadership():
    """Log (stderr) when this node starts leading: bench/bench_raft.py reads it."""
    global led_term
    if raft.role == LEADER and raft.term != led_term:
        led_term = raft.term
        node.log(f"raft: leader of term {raft.term} at monotonic {time.monotonic():.6f}")


if __name__ == "__main__":
    node.run()
