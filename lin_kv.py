#!/usr/bin/env python3
"""lin-kv: a linearizable key-value store (read, write, cas) on the Raft core in raft.py.

Approach. Every node runs a `raft.Raft` and applies its committed commands, in
log order, to a dict. A client's write or cas is proposed to Raft: the leader
logs it, a follower forwards it (batched) to the leader it knows, a node that
knows no live leader refuses it with error 11 at once (nothing was logged, so
the error is true). The node that logged a command answers its client once the
command is applied - the leader, even for a client of a follower: Maelstrom's
client matches a reply by in_reply_to whatever node sends it. Reads are not
logged: the leader answers them under its lease once its commit covers every
entry it holds; followers forward them. raft.py's docstring has the rules, the
safety arguments and the message budget (about 2 server messages per op at
the tutorial's --rate 30 on 3 nodes).

Errors: 20 when a read or cas finds no key, 22 when a cas finds another value,
11 when no leader can take the op; a logged op is never refused, so its client
gets the real answer or (if its leader is cut off before committing) nothing.

Timers: this runtime has only `every`, so the core is ticked every 5 ms and
after each message; a one-shot timer at `raft.next_deadline()` will replace
the polling once the runtime has one.
"""
import itertools
import time

from maelstrom_node import Code, Node, require
from raft import MESSAGE_TYPES, Raft

TICK = 0.005

node = Node()
kv = {}
command_ids = itertools.count(1)
raft = None


@node.on_init
def start():
    global raft
    raft = Raft(node.node_id, node.node_ids, now=time.monotonic())
    drive()


def client(msg, **fields):
    """What the core carries for a client op: who to answer, and the op."""
    return {"client": msg["src"], "msg_id": msg["body"].get("msg_id"), **fields}


@node.on("read")
def read(msg):
    key = require(msg["body"], "key", (int, str))
    raft.read(client(msg, key=key), time.monotonic())
    drive()


@node.on("write")
def write(msg):
    body = msg["body"]
    op = client(msg, op="write", key=require(body, "key", (int, str)),
                value=require(body, "value", object))
    propose(op)


@node.on("cas")
def cas(msg):
    body = msg["body"]
    op = client(msg, op="cas", key=require(body, "key", (int, str)),
                **{"from": require(body, "from", object), "to": require(body, "to", object)})
    propose(op)


def propose(op):
    raft.propose(f"{node.node_id}:{next(command_ids)}", op, time.monotonic())
    drive()


def on_peer(msg):
    raft.receive(msg["src"], msg["body"], time.monotonic())
    drive()


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
    if op["msg_id"] is not None:
        node.send(op["client"], {**body, "in_reply_to": op["msg_id"]})


def drive():
    """Tick the core and carry out its effects: send, apply (answering what this
    node logged), serve reads, refuse what no leader will take."""
    if raft is None:
        return
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


node.every(TICK, drive)

if __name__ == "__main__":
    node.run()
