#!/usr/bin/env python3
"""A correct lin-kv node: every read, write and cas is forwarded to Maelstrom's lin-kv service
(or the KV service named by the first argument) and its reply relayed, errors included. No
reply within a second: no answer, so the client times out (an indefinite outcome). Plain and
blocking on purpose (simulator tests); tests/broken/linkv_seqkv_proxy.py points it at seq-kv."""
import sys

from plain import rpc, serve

SERVICE = sys.argv[1] if len(sys.argv) > 1 else "lin-kv"


def handle(msg):
    body = {k: v for k, v in msg["body"].items() if k != "msg_id"}
    answer = rpc(SERVICE, body)
    if answer is None:
        return None
    return {k: v for k, v in answer.items() if k not in ("msg_id", "in_reply_to")}


serve(handle, worker=True)
