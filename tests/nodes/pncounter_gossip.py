#!/usr/bin/env python3
"""Reference pn-counter node for simulator tests (stdlib only, no runtime): a state CRDT with a
pair of grow-only totals per node, increments and decrements, merged by max per entry. A node
sends its whole state to every other node after each add and every 0.2 s (to catch up after
partitions); the value is the sum of increments minus the sum of decrements."""
import threading

from plain import every, node, serve, to_peers

totals = {}                 # node id -> [increments, decrements]
lock = threading.Lock()


def share():
    with lock:
        state = {k: list(v) for k, v in totals.items()}
    to_peers({"type": "gossip", "state": state})


def handle(msg):
    body = msg["body"]
    if body["type"] == "add":
        with lock:
            mine = totals.setdefault(node["id"], [0, 0])
            mine[0 if body["delta"] >= 0 else 1] += abs(body["delta"])
        share()
        return {"type": "add_ok"}
    with lock:
        if body["type"] == "gossip":
            for k, (inc, dec) in body["state"].items():
                entry = totals.setdefault(k, [0, 0])
                entry[0], entry[1] = max(entry[0], inc), max(entry[1], dec)
            return None
        return {"type": "read_ok", "value": sum(inc - dec for inc, dec in totals.values())}


every(0.2, share)
serve(handle)
