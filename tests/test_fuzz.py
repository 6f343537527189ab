"""Thousands of random and malformed lines into every node (every top-level program on the
runtime; shared modules such as hub_log.py run inside them): it never dies and everything it
prints is a valid Maelstrom message."""
import glob
import json
import os
import random

import pytest

from transcript import ROOT, run

NODES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "*.py"))
               if os.path.basename(p) != "maelstrom_node.py"
               and "maelstrom_node" in (text := open(p).read()) and "__main__" in text)
TYPES = ["echo", "generate", "add", "read", "broadcast", "topology", "send", "poll",
         "commit_offsets", "list_committed_offsets", "txn", "init", "read_ok", "error",
         "cas", "write", "gossip", "push", "sync", "", "x" * 50]
FIELDS = ["echo", "delta", "message", "messages", "topology", "key", "msg", "offsets", "keys",
          "txn", "value", "node_id", "node_ids", "code", "from", "to", "element", "view",
          "values", "have"]
LINES_PER_NODE = 3000


def value(rng, depth=0):
    choices = [
        lambda: rng.randint(-5, 5), lambda: rng.randint(-2 ** 70, 2 ** 70), lambda: rng.random(),
        lambda: rng.choice(["", "n0", "n1", "c1", "k", "\u2603", "a" * 300]),
        lambda: None, lambda: rng.choice([True, False]),
    ]
    if depth < 3:
        choices += [lambda: [value(rng, depth + 1) for _ in range(rng.randint(0, 4))],
                    lambda: {rng.choice(FIELDS + ["0", "n1"]): value(rng, depth + 1)
                             for _ in range(rng.randint(0, 4))}]
    return rng.choice(choices)()


def message(rng, msg_id):
    body = {"type": rng.choice(TYPES + [None, 3, ["x"]])}
    if rng.random() < 0.8:
        body["msg_id"] = msg_id if rng.random() < 0.9 else value(rng)
    if rng.random() < 0.1:
        body["in_reply_to"] = rng.choice([0, 1, msg_id, None, "x", [1]])
    for field in rng.sample(FIELDS, rng.randint(0, 4)):
        body[field] = value(rng)
    return {"src": rng.choice(["c1", "c2", "n0", "n1", "n2", "seq-kv", "lin-kv"]),
            "dest": "n0", "body": body}


def junk(rng, msg_id):
    good = json.dumps(message(rng, msg_id))
    kind = rng.randrange(8)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 80))).replace(b"\n", b"")
    if kind == 1:
        return good[: rng.randint(0, len(good))]
    if kind == 2:
        return good.replace("{", "[", 1)
    if kind == 3:
        return rng.choice(["", " ", "\t", "null", "42", '"str"', "[]", "{}", "NaN",
                           '{"src":"c1"}', '{"src":1,"body":{}}', '{"src":"c1","body":[]}'])
    if kind == 4:
        return "[" * 5000 + "]" * 5000
    if kind == 5:
        return good.replace("0", "NaN", 1)
    return good


def reject(constant):
    raise ValueError(f"{constant} in output")


@pytest.mark.parametrize("node", NODES)
def test_fuzz(node):
    rng = random.Random(f"fuzz {node}")
    init = {"src": "c0", "dest": "n0", "body": {"type": "init", "msg_id": 1, "node_id": "n0",
                                                "node_ids": ["n0", "n1", "n2"]}}
    lines = [init] + [junk(rng, i) if rng.random() < 0.5 else message(rng, i)
                      for i in range(2, LINES_PER_NODE)]
    result = run([node], lines, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout, "the node printed nothing"
    for line in result.stdout:
        msg = json.loads(line, parse_constant=reject)  # NaN/Infinity are not JSON
        assert isinstance(msg, dict) and set(msg) == {"src", "dest", "body"}, line
        assert isinstance(msg["src"], str) and isinstance(msg["dest"], str), line
        assert isinstance(msg["body"], dict) and isinstance(msg["body"].get("type"), str), line
