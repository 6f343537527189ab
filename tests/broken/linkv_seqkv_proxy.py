#!/usr/bin/env python3
"""Broken lin-kv: tests/nodes/linkv_proxy.py pointed at seq-kv. seq-kv serves each caller any
state between the last one it saw and the newest, so a node that has not written lately reads
stale values, and a cas can succeed on a stale value: not linearizable, as Maelstrom's
calibration run of the same design (linkv_seqkv: keys 0 and 1 fail) shows."""
import os
import runpy
import sys

NODES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes")
sys.path.insert(0, NODES)
sys.argv[1:] = ["seq-kv"]
runpy.run_path(os.path.join(NODES, "linkv_proxy.py"), run_name="__main__")
