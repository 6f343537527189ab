#!/usr/bin/env python3
"""Broken g-counter that trusts a stale seq-kv read.

The first node owns the counter: its adds are read + cas loops on the seq-kv key "total" (the
only writer, so its own view is always the newest). Other nodes forward adds to it. Reads
answer from a cached value, refreshing it with a seq-kv read only after 1 quiet second (the
final reads, after the recovery wait). A node that never touched seq-kv before may then be
served any of the stored states, and it trusts what it gets: its final read is almost surely
stale, which the g-counter checker must catch."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import node, rpc, serve  # noqa: E402

state = {"cached": 0, "last_request": time.monotonic()}


def seq_read():
    r = rpc("seq-kv", {"type": "read", "key": "total"})
    return r["value"] if r and r["type"] == "read_ok" else 0


def add_locally(delta):
    while True:
        cur = seq_read()
        r = rpc("seq-kv", {"type": "cas", "key": "total", "from": cur, "to": cur + delta,
                           "create_if_not_exists": True})
        if r and r["type"] == "cas_ok":
            return


def handle(msg):
    body = msg["body"]
    quiet = time.monotonic() - state["last_request"] > 1.0
    state["last_request"] = time.monotonic()
    owner = node["ids"][0]
    if body["type"] == "fwd_add":
        add_locally(body["delta"])
        return {"type": "fwd_add_ok"}
    if body["type"] == "add":
        if node["id"] == owner:
            add_locally(body["delta"])
        else:
            while not rpc(owner, {"type": "fwd_add", "delta": body["delta"]}):
                pass
        return {"type": "add_ok"}
    if quiet:
        state["cached"] = seq_read()
    return {"type": "read_ok", "value": state["cached"]}


serve(handle, worker=True)
