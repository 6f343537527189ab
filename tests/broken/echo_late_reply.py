#!/usr/bin/env python3
"""Broken echo: answers its second echo after 6 s, past the client's 5 s timeout. The client
has been closed and replaced by then, so the late reply goes to a client that no longer exists."""
import json
import sys
import threading

node_id = None
seen = 0
lock = threading.Lock()


def send(dest, body):
    with lock:
        print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
        continue
    seen += 1
    reply = {"type": "echo_ok", "echo": body["echo"], "in_reply_to": body["msg_id"]}
    if seen == 2:
        threading.Timer(6.0, send, (msg["src"], reply)).start()
    else:
        send(msg["src"], reply)
