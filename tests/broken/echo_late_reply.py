#!/usr/bin/env python3
"""Broken echo: answers its second echo after 6 s, past the client's 5 s timeout. The client
has been closed and replaced by then, so the late reply goes to a client that no longer exists."""
import threading
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import reply, serve  # noqa: E402

seen = 0


def handle(msg):
    global seen
    seen += 1
    body = {"type": "echo_ok", "echo": msg["body"]["echo"]}
    if seen != 2:
        return body
    threading.Timer(6.0, reply, (msg, body)).start()
    return None


serve(handle)
