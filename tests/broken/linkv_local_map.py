#!/usr/bin/env python3
"""Broken lin-kv: each node keeps its own map and answers from it, never talking to the other
nodes. With one node that is linearizable; with two or more, a read on one node misses a write
acknowledged by another, and a cas succeeds against a value another node already replaced."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import serve  # noqa: E402

store = {}
MISSING = {"type": "error", "code": 20, "text": "key does not exist"}


def handle(msg):
    body = msg["body"]
    key = body["key"]
    if body["type"] == "read":
        return {"type": "read_ok", "value": store[key]} if key in store else MISSING
    if body["type"] == "write":
        store[key] = body["value"]
        return {"type": "write_ok"}
    if key not in store:
        return MISSING
    if store[key] != body["from"]:
        return {"type": "error", "code": 22, "text": f"current value {store[key]} is not {body['from']}"}
    store[key] = body["to"]
    return {"type": "cas_ok"}


serve(handle)
