#!/usr/bin/env python3
"""A correct echo node: a plain blocking loop, stdlib only (simulator core tests)."""
import json
import sys

node_id = None
for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        reply = {"type": "init_ok"}
    elif body["type"] == "echo":
        reply = {"type": "echo_ok", "echo": body["echo"]}
    else:
        continue
    reply["in_reply_to"] = body["msg_id"]
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
