#!/usr/bin/env python3
"""A correct g-counter: adds are read + cas loops on one lin-kv key, reads read lin-kv.

One worker thread serves client requests one at a time, blocking on lin-kv replies. Plain
and blocking on purpose (simulator core tests)."""
from plain import rpc, serve


def read_total():
    """The total, 0 when the key does not exist yet, None when lin-kv did not answer."""
    r = rpc("lin-kv", {"type": "read", "key": "total"})
    if r and r["type"] == "read_ok":
        return r["value"]
    if r and r.get("code") == 20:
        return 0
    return None


def handle(msg):
    if msg["body"]["type"] == "add":
        while True:
            cur = read_total()
            if cur is None:
                continue
            r = rpc("lin-kv", {"type": "cas", "key": "total", "from": cur,
                               "to": cur + msg["body"]["delta"], "create_if_not_exists": True})
            if r and r["type"] == "cas_ok":
                return {"type": "add_ok"}
    cur = None
    while cur is None:
        cur = read_total()
    return {"type": "read_ok", "value": cur}


serve(handle, worker=True)
