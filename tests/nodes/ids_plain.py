#!/usr/bin/env python3
"""A correct unique-ids node: "<node>-<counter>" ids from a plain blocking loop."""
import itertools

from plain import node, serve

counter = itertools.count(1)


def handle(msg):
    if msg["body"]["type"] == "generate":
        return {"type": "generate_ok", "id": f"{node['id']}-{next(counter)}"}
    return None


serve(handle)
