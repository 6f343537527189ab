#!/usr/bin/env python3
"""Broken on purpose: a broadcast node with a bounded buffer. It acknowledges every value
but remembers only the 10 most recent, so older acknowledged values vanish from reads
(the broadcast checker must report them lost)."""
import os
import sys
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import peers, send, serve  # noqa: E402

recent = deque(maxlen=10)


def remember(value):
    if value not in recent:
        recent.append(value)


def handle(msg):
    body = msg["body"]
    kind = body["type"]
    if kind == "topology":
        return {"type": "topology_ok"}
    if kind == "broadcast":
        remember(body["message"])
        for peer in peers():
            send(peer, {"type": "share", "value": body["message"]})
        return {"type": "broadcast_ok"}
    if kind == "share":
        remember(body["value"])
        return None
    return {"type": "read_ok", "messages": sorted(recent)}


serve(handle)
