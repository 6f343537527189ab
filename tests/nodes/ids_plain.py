#!/usr/bin/env python3
"""A correct unique-ids node: "<node>-<counter>" ids from a plain blocking loop."""
import json
import sys

node_id = None
counter = 0
for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        reply = {"type": "init_ok"}
    elif body["type"] == "generate":
        counter += 1
        reply = {"type": "generate_ok", "id": f"{node_id}-{counter}"}
    else:
        continue
    reply["in_reply_to"] = body["msg_id"]
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
