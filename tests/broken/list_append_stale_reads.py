#!/usr/bin/env python3
"""Broken for strict serializability only: one node runs every transaction that appends on
its current lists, but answers read-only transactions from a snapshot it refreshes every
SNAPSHOT_MS (500) ms. Every read sees a state the serial order of writes went through, so the
history is serializable; but a read that begins after an append completed may still miss it
(a stale read: G-single-item-realtime)."""
import copy
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from txn_loop import run_on_lists, serve  # noqa: E402

SNAPSHOT_S = int(os.environ.get("SNAPSHOT_MS", "500")) / 1000
lists, snapshot = {}, {"at": 0.0, "lists": {}}


def execute(txn):
    now = time.monotonic()
    if now - snapshot["at"] >= SNAPSHOT_S:
        snapshot.update(at=now, lists=copy.deepcopy(lists))
    read_only = all(f == "r" for f, _, _ in txn)
    return run_on_lists(txn, snapshot["lists"] if read_only else lists)


serve(execute)
