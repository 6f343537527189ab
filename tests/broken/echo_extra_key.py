#!/usr/bin/env python3
"""Broken echo: its echo_ok carries a key the closed reply schema does not allow."""
import json
import sys

node_id = None
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        reply = {"type": "init_ok"}
    else:
        reply = {"type": "echo_ok", "echo": body["echo"], "node": node_id}
    reply["in_reply_to"] = body["msg_id"]
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
