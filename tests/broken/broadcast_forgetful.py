#!/usr/bin/env python3
"""Broken on purpose: a broadcast node with a bounded buffer. It acknowledges every value
but remembers only the 10 most recent, so older acknowledged values vanish from reads
(the broadcast checker must report them lost)."""
import json
import sys
from collections import deque

me, peers, recent, next_id = None, [], deque(maxlen=10), 0


def send(dest, body):
    global next_id
    next_id += 1
    body.setdefault("msg_id", next_id)
    sys.stdout.write(json.dumps({"src": me, "dest": dest, "body": body}) + "\n")
    sys.stdout.flush()


def reply(msg, body):
    send(msg["src"], {**body, "in_reply_to": msg["body"]["msg_id"]})


def remember(value):
    if value not in recent:
        recent.append(value)


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    kind = body["type"]
    if kind == "init":
        me = body["node_id"]
        peers = [n for n in body["node_ids"] if n != me]
        reply(msg, {"type": "init_ok"})
    elif kind == "topology":
        reply(msg, {"type": "topology_ok"})
    elif kind == "broadcast":
        remember(body["message"])
        for peer in peers:
            send(peer, {"type": "share", "value": body["message"]})
        reply(msg, {"type": "broadcast_ok"})
    elif kind == "share":
        remember(body["value"])
    elif kind == "read":
        reply(msg, {"type": "read_ok", "messages": sorted(recent)})
