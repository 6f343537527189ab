#!/usr/bin/env python3
"""Broken: every third transaction that writes is answered with an abort (code 30), but its
writes were already applied and stay visible. Other transactions then read them: G1a."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from txn_loop import Abort, serve  # noqa: E402

store = {}
writers = 0


def execute(txn):
    global writers
    out = []
    for f, k, v in txn:
        if f == "r":
            v = store.get(k)
        else:
            store[k] = v
        out.append([f, k, v])
    if any(f == "w" for f, _, _ in txn):
        writers += 1
        if writers % 3 == 0:
            raise Abort()
    return out


serve(execute)
