#!/usr/bin/env python3
"""Correct single-node register store: each transaction runs alone, start to finish."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from txn_loop import serve  # noqa: E402

store = {}


def execute(txn):
    out = []
    for f, k, v in txn:
        if f == "r":
            v = store.get(k)
        else:
            store[k] = v
        out.append([f, k, v])
    return out


serve(execute)
