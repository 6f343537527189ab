#!/usr/bin/env python3
"""Reference g-set node for simulator tests (stdlib only, no runtime): each node answers from
its own copy of the set and sends the whole set to every other node every 0.2 s. Correct once
the network has healed and one round has passed."""
import threading

from plain import every, serve, to_peers

items = set()
lock = threading.Lock()


def share():
    with lock:
        snapshot = sorted(items)
    to_peers({"type": "gossip", "value": snapshot})


def handle(msg):
    body = msg["body"]
    with lock:
        if body["type"] == "add":
            items.add(body["element"])
            return {"type": "add_ok"}
        if body["type"] == "gossip":
            items.update(body["value"])
            return None
        return {"type": "read_ok", "value": sorted(items)}


every(0.2, share)
serve(handle)
