#!/usr/bin/env python3
"""A correct echo node: a plain blocking loop, stdlib only (simulator core tests)."""
from plain import serve


def handle(msg):
    if msg["body"]["type"] == "echo":
        return {"type": "echo_ok", "echo": msg["body"]["echo"]}
    return None


serve(handle)
