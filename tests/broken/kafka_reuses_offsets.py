#!/usr/bin/env python3
"""Broken kafka node: every fifth send to a key overwrites the previous message and reuses its
offset (two messages acknowledged at one offset; the first is then lost)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from kafka_single import Log, serve  # noqa: E402


class ReusingLog(Log):
    def __init__(self):
        super().__init__()
        self.sends = {}

    def append(self, key, msg):
        self.sends[key] = self.sends.get(key, 0) + 1
        log = self.logs.setdefault(key, [])
        if self.sends[key] % 5 == 0:
            log[-1] = msg
        else:
            log.append(msg)
        return len(log) - 1


if __name__ == "__main__":
    serve(ReusingLog())
