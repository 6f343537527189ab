#!/usr/bin/env python3
"""Broken unique-ids: a per-node counter without the node id, so nodes hand out the same ids."""
import itertools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import serve  # noqa: E402

counter = itertools.count(1)
serve(lambda msg: {"type": "generate_ok", "id": next(counter)})
