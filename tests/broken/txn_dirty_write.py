#!/usr/bin/env python3
"""Broken: keys are ordered by two different rules, as if two replicas disagreed: an odd key
keeps its last write, an even key its first. Two transactions that both write an odd and an
even key can each end up final on one key: T1 -ww-> T2 on one, T2 -ww-> T1 on the other, a
dirty write (G0). Every read returns a committed, final value, so Maelstrom's checker (which
infers write order only from read-then-write) rarely sees anything; the final-state probe does."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from txn_loop import serve  # noqa: E402

store = {}


def execute(txn):
    out, mine = [], {}
    for f, k, v in txn:
        if f == "r":
            v = mine[k] if k in mine else store.get(k)
        else:
            mine[k] = v
        out.append([f, k, v])
    for k, v in mine.items():
        if k % 2 or k not in store:
            store[k] = v
    return out


serve(execute)
