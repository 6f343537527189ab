#!/usr/bin/env python3
"""Broken g-counter (single node): keeps the total locally and replies to read with a float."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import serve  # noqa: E402

total = 0


def handle(msg):
    global total
    if msg["body"]["type"] == "add":
        total += msg["body"]["delta"]
        return {"type": "add_ok"}
    return {"type": "read_ok", "value": total / 1}


serve(handle)
