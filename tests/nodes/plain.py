"""A plain blocking Maelstrom loop for the simulator's test nodes: stdlib only and independent
of maelstrom_node.py, so the simulator's tests never depend on the runtime they help to judge.

    serve(handle)     answers init itself; for every other message calls handle(msg) and, when
                      it returns a body, replies with it (in_reply_to filled in)
    send(dest, body)  one protocol line (thread-safe);  reply(msg, body)
    node["id"], node["ids"]

Nodes in tests/broken/ put tests/nodes/ on sys.path before importing this module.
"""
import json
import sys
import threading

node = {"id": None, "ids": []}
_lock = threading.Lock()


def send(dest, body):
    with _lock:
        sys.stdout.write(json.dumps({"src": node["id"], "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def reply(msg, body):
    send(msg["src"], {**body, "in_reply_to": msg["body"]["msg_id"]})


def serve(handle):
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        body = msg["body"]
        if body.get("type") == "init":
            node["id"], node["ids"] = body["node_id"], body["node_ids"]
            reply(msg, {"type": "init_ok"})
            continue
        out = handle(msg)
        if out is not None:
            reply(msg, out)

