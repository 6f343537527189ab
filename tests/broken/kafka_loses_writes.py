#!/usr/bin/env python3
"""Broken kafka node: acknowledges every seventh send with an offset but never stores it, so
polls jump over an offset that exists (a lost write and a poll skip)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from kafka_single import Log, serve  # noqa: E402


class LosingLog(Log):
    def __init__(self):
        super().__init__()
        self.sends = 0

    def append(self, key, msg):
        self.sends += 1
        log = self.logs.setdefault(key, [])
        log.append(None if self.sends % 7 == 0 else msg)
        return len(log) - 1

    def read(self, key, offset):
        return [p for p in super().read(key, offset) if p[1] is not None]


if __name__ == "__main__":
    serve(LosingLog())
