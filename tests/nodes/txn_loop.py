"""A tiny blocking Maelstrom loop for single-node txn test nodes (stdlib only).

`serve(execute)` answers init, and for each `txn` request calls execute(txn) -> the completed
txn list, or raises Abort to send error 30 (txn-conflict).
`run_on_lists(txn, lists)` runs a list-append txn on {k: [elements]} in place.
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


def run_on_lists(txn, lists):
    """Reads get a copy of the key's list (None when missing); appends extend it."""
    out = []
    for f, k, v in txn:
        if f == "r":
            v = list(lists[k]) if k in lists else None
        else:
            lists.setdefault(k, []).append(v)
        out.append([f, k, v])
    return out
