#!/usr/bin/env python3
"""Broken echo: prints a debugging line to stdout on its third echo (Maelstrom's reader dies)."""
import json
import sys

node_id = None
seen = 0
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        reply = {"type": "init_ok"}
    else:
        seen += 1
        if seen == 3:
            print("got an echo request, replying", flush=True)
        reply = {"type": "echo_ok", "echo": body["echo"]}
    reply["in_reply_to"] = body["msg_id"]
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
