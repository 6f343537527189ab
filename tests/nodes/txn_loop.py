"""A tiny blocking Maelstrom loop for single-node txn test nodes (stdlib only).

`serve(execute)` answers init, and for each `txn` request calls execute(txn) -> the completed
txn list, or raises Abort to send error 30 (txn-conflict).
"""
import json
import sys


class Abort(Exception):
    pass


def serve(execute):
    node_id, next_id = None, 0
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        body = msg["body"]
        if body["type"] == "init":
            node_id, out = body["node_id"], {"type": "init_ok"}
        elif body["type"] == "txn":
            try:
                out = {"type": "txn_ok", "txn": execute(body["txn"])}
            except Abort:
                out = {"type": "error", "code": 30, "text": "txn aborted"}
        else:
            out = {"type": "error", "code": 10, "text": "unsupported"}
        next_id += 1
        out.update(msg_id=next_id, in_reply_to=body["msg_id"])
        sys.stdout.write(json.dumps({"src": node_id, "dest": msg["src"], "body": out}) + "\n")
        sys.stdout.flush()
