#!/usr/bin/env python3
"""Broken g-counter (single node): keeps the total locally and replies to read with a float."""
import json
import sys

node_id = None
total = 0
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        reply = {"type": "init_ok"}
    elif body["type"] == "add":
        total += body["delta"]
        reply = {"type": "add_ok"}
    else:
        reply = {"type": "read_ok", "value": total / 1}
    reply["in_reply_to"] = body["msg_id"]
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
