#!/usr/bin/env python3
"""Broken on purpose: the g-counter design on pn-counter. Each node keeps one signed subtotal
per node and merges a peer's by max, so once a peer has seen a larger subtotal, the decrements
that brought it down never arrive and every other node ends on a wrong total (the pn-counter
checker must reject the final reads). Shares its state after each add and every 0.2 s, like
tests/nodes/pncounter_gossip.py."""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import every, node, serve, to_peers  # noqa: E402

subtotals = {}              # node id -> signed sum of that node's adds
lock = threading.Lock()


def share():
    with lock:
        state = dict(subtotals)
    to_peers({"type": "gossip", "state": state})


def handle(msg):
    body = msg["body"]
    if body["type"] == "add":
        with lock:
            subtotals[node["id"]] = subtotals.get(node["id"], 0) + body["delta"]
        share()
        return {"type": "add_ok"}
    with lock:
        if body["type"] == "gossip":
            for k, v in body["state"].items():
                if k != node["id"]:
                    subtotals[k] = max(subtotals.get(k, v), v)
            return None
        return {"type": "read_ok", "value": sum(subtotals.values())}


every(0.2, share)
serve(handle)
