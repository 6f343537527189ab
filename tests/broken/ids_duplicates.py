#!/usr/bin/env python3
"""Broken unique-ids: a per-node counter without the node id, so nodes hand out the same ids."""
import json
import sys

node_id = None
counter = 0
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        reply = {"type": "init_ok"}
    else:
        counter += 1
        reply = {"type": "generate_ok", "id": counter}
    reply["in_reply_to"] = body["msg_id"]
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
