#!/usr/bin/env python3
"""Broken: replicas resolve each key by last-writer-wins on timestamps from clocks that
disagree per key, as if each key's owner ran ahead: on odd keys n0's writes always win, on
even keys n1's. Replication is immediate and both replicas converge, and every read returns
a committed value, yet a transaction from n0 and one from n1 that both write an odd and an
even key each end up final on one of them: a dirty write (G0), visible only in the final
state."""
import json
import sys

node_id, peers, next_id = None, [], 0
clock = 0
store = {}  # key -> (timestamp, value); timestamp = (owner bonus, clock, node)


def emit(dest, body):
    sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": body}) + "\n")


def install(k, stamp, v):
    global clock
    clock = max(clock, stamp[1])
    if k not in store or stamp > store[k][0]:
        store[k] = (stamp, v)


def execute(txn):
    global clock
    clock += 1
    me = int(node_id[1:])
    out, mine = [], {}
    for f, k, v in txn:
        if f == "r":
            v = mine[k] if k in mine else (store[k][1] if k in store else None)
        else:
            mine[k] = v
        out.append([f, k, v])
    writes = [[k, [(k + me) % 2, clock, node_id], v] for k, v in mine.items()]
    for k, stamp, v in writes:
        install(k, tuple(stamp), v)
    for peer in peers:
        emit(peer, {"type": "replicate", "writes": writes})
    return out


for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        node_id = body["node_id"]
        peers = [n for n in body["node_ids"] if n != node_id]
        out = {"type": "init_ok"}
    elif body["type"] == "txn":
        out = {"type": "txn_ok", "txn": execute(body["txn"])}
    elif body["type"] == "replicate":
        for k, stamp, v in body["writes"]:
            install(k, tuple(stamp), v)
        sys.stdout.flush()
        continue
    else:
        continue
    next_id += 1
    out.update(msg_id=next_id, in_reply_to=body["msg_id"])
    emit(msg["src"], out)
    sys.stdout.flush()
