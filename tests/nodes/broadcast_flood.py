#!/usr/bin/env python3
"""Reference broadcast node for simulator tests (stdlib only, no runtime): the node that
receives a client value sends it once to every other node. Correct on a healthy network."""
import json
import sys

me, peers, seen, next_id = None, [], set(), 0


def send(dest, body):
    global next_id
    next_id += 1
    body.setdefault("msg_id", next_id)
    sys.stdout.write(json.dumps({"src": me, "dest": dest, "body": body}) + "\n")
    sys.stdout.flush()


def reply(msg, body):
    send(msg["src"], {**body, "in_reply_to": msg["body"]["msg_id"]})


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    kind = body["type"]
    if kind == "init":
        me = body["node_id"]
        peers = [n for n in body["node_ids"] if n != me]
        reply(msg, {"type": "init_ok"})
    elif kind == "topology":
        reply(msg, {"type": "topology_ok"})
    elif kind == "broadcast":
        if body["message"] not in seen:
            seen.add(body["message"])
            for peer in peers:
                send(peer, {"type": "share", "value": body["message"]})
        reply(msg, {"type": "broadcast_ok"})
    elif kind == "share":
        seen.add(body["value"])
    elif kind == "read":
        reply(msg, {"type": "read_ok", "messages": sorted(seen)})
