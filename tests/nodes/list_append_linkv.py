#!/usr/bin/env python3
"""A correct txn-list-append node on any number of nodes: the whole database is one lin-kv
value (key "root"); a transaction reads it, runs on a copy, and installs the result with a
compare-and-set, answering error 30 (txn-conflict, definite) when another got there first.
A read-only transaction needs no compare-and-set: its linearizable read is its commit point.
Plain and blocking on purpose, one request at a time."""
from plain import rpc, serve
from txn_loop import run_on_lists

ROOT = "root"


def read_db():
    """The stored {"k": [elements]} (JSON keys are strings); {} before the first commit; None
    when lin-kv did not answer."""
    r = rpc("lin-kv", {"type": "read", "key": ROOT})
    if r and r["type"] == "read_ok":
        return r["value"]
    if r and r.get("code") == 20:
        return {}
    return None


def handle(msg):
    txn = msg["body"]["txn"]
    before = read_db()
    if before is None:
        return {"type": "error", "code": 0, "text": "lin-kv did not answer"}
    lists = {int(k): list(v) for k, v in before.items()}
    out = run_on_lists(txn, lists)
    if all(f == "r" for f, _, _ in txn):
        return {"type": "txn_ok", "txn": out}
    after = {str(k): v for k, v in lists.items()}
    r = rpc("lin-kv", {"type": "cas", "key": ROOT, "from": before, "to": after,
                       "create_if_not_exists": True})
    if r and r["type"] == "cas_ok":
        return {"type": "txn_ok", "txn": out}
    if r and r.get("code") in (20, 22):
        return {"type": "error", "code": 30, "text": "another transaction committed first"}
    return {"type": "error", "code": 0, "text": "cas unanswered: outcome unknown"}


serve(handle, worker=True)
