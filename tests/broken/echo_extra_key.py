#!/usr/bin/env python3
"""Broken echo: its echo_ok carries a key the closed reply schema does not allow."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nodes"))
from plain import node, serve  # noqa: E402

serve(lambda msg: {"type": "echo_ok", "echo": msg["body"]["echo"], "node": node["id"]})
