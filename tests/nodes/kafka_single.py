#!/usr/bin/env python3
"""Reference single-node kafka log for the simulator's tests (stdlib only, blocking loop).

Correct on one node: offsets are 0, 1, 2, ... per key, polls return up to 50 messages per key
from the asked offset, committed offsets only move forward. Broken variants subclass Log.
"""
import plain


class Log:
    """All keys' logs and committed offsets."""

    def __init__(self):
        self.logs = {}
        self.committed = {}

    def append(self, key, msg):
        log = self.logs.setdefault(key, [])
        log.append(msg)
        return len(log) - 1

    def read(self, key, offset):
        log = self.logs.get(key, [])
        return [[i, log[i]] for i in range(max(offset, 0), min(len(log), offset + 50))]

    def commit(self, offsets):
        for k, o in offsets.items():
            self.committed[k] = max(self.committed.get(k, -1), o)

    def handle(self, body):
        kind = body["type"]
        if kind == "send":
            return {"type": "send_ok", "offset": self.append(body["key"], body["msg"])}
        if kind == "poll":
            msgs = {k: self.read(k, o) for k, o in body["offsets"].items()}
            return {"type": "poll_ok", "msgs": {k: v for k, v in msgs.items() if v}}
        if kind == "commit_offsets":
            self.commit(body["offsets"])
            return {"type": "commit_offsets_ok"}
        if kind == "list_committed_offsets":
            return {"type": "list_committed_offsets_ok",
                    "offsets": {k: self.committed[k] for k in body["keys"] if k in self.committed}}
        return {"type": "error", "code": 10, "text": f"unknown type {kind}"}


def serve(log):
    """Answer init and the kafka requests, one line at a time."""
    plain.serve(lambda msg: log.handle(msg["body"]))


if __name__ == "__main__":
    serve(Log())
