#!/usr/bin/env python3
"""Reference broadcast node for simulator tests (stdlib only, no runtime): the node that
receives a client value sends it once to every other node. Correct on a healthy network."""
from plain import peers, send, serve

seen = set()


def handle(msg):
    body = msg["body"]
    kind = body["type"]
    if kind == "topology":
        return {"type": "topology_ok"}
    if kind == "broadcast":
        if body["message"] not in seen:
            seen.add(body["message"])
            for peer in peers():
                send(peer, {"type": "share", "value": body["message"]})
        return {"type": "broadcast_ok"}
    if kind == "share":
        seen.add(body["value"])
        return None
    return {"type": "read_ok", "messages": sorted(seen)}


serve(handle)
