"""A tiny blocking Maelstrom loop for single-node txn test nodes (stdlib only).

`serve(execute)` answers init, and for each `txn` request calls execute(txn) -> the completed
txn list, or raises Abort to send error 30 (txn-conflict).
"""
import plain


class Abort(Exception):
    pass


def serve(execute):
    def handle(msg):
        body = msg["body"]
        if body["type"] != "txn":
            return {"type": "error", "code": 10, "text": "unsupported"}
        try:
            return {"type": "txn_ok", "txn": execute(body["txn"])}
        except Abort:
            return {"type": "error", "code": 30, "text": "txn aborted"}
    plain.serve(handle)
