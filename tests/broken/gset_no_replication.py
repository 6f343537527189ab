#!/usr/bin/env python3
"""Broken on purpose: a g-set node that never replicates. Each node keeps only what its own
clients added, so the final reads on the other nodes miss those elements (the set-full checker
must report them lost). While its set is empty it reads as null, as a Go node's nil slice does;
Maelstrom accepts that as the empty set."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import serve  # noqa: E402

items = set()


def handle(msg):
    body = msg["body"]
    if body["type"] == "add":
        items.add(body["element"])
        return {"type": "add_ok"}
    return {"type": "read_ok", "value": sorted(items) or None}


serve(handle)
