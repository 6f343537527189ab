#!/usr/bin/env python3
"""Broken: when a transaction writes one key twice, the store keeps the FIRST write (its own
reads still see its latest write). Later transactions read the overwritten value: G1b."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from txn_loop import serve  # noqa: E402

store = {}


def execute(txn):
    out, mine, committed = [], {}, {}
    for f, k, v in txn:
        if f == "r":
            v = mine[k] if k in mine else store.get(k)
        else:
            mine[k] = v
            committed.setdefault(k, v)
        out.append([f, k, v])
    store.update(committed)
    return out


serve(execute)
