#!/usr/bin/env python3
"""Broken on two or more nodes: each node keeps its own lists and tells nobody. Serial, so
strict-serializable on one node; on two the lists diverge at once (incompatible orders)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from txn_loop import run_on_lists, serve  # noqa: E402

lists = {}
serve(lambda txn: run_on_lists(txn, lists))
