#!/usr/bin/env python3
"""Broken echo: prints a debugging line to stdout on its third echo (Maelstrom's reader dies)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import serve  # noqa: E402

seen = 0


def handle(msg):
    global seen
    seen += 1
    if seen == 3:
        print("got an echo request, replying", flush=True)
    return {"type": "echo_ok", "echo": msg["body"]["echo"]}


serve(handle)
