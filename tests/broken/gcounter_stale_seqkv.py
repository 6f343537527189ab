#!/usr/bin/env python3
"""Broken g-counter that trusts a stale seq-kv read.

The first node owns the counter: its adds are read + cas loops on the seq-kv key "total" (the
only writer, so its own view is always the newest). Other nodes forward adds to it. Reads
answer from a cached value, refreshing it with a seq-kv read only after 1 quiet second (the
final reads, after the recovery wait). A node that never touched seq-kv before may then be
served any of the stored states, and it trusts what it gets: its final read is almost surely
stale, which the g-counter checker must catch."""
import json
import queue
import sys
import threading
import time

state = {"id": None, "ids": [], "next": 0, "cached": 0, "last_request": time.monotonic()}
out = threading.Lock()
waiters = {}
work = queue.Queue()


def send(dest, body):
    with out:
        if "msg_id" not in body:
            state["next"] += 1
            body["msg_id"] = state["next"]
        sys.stdout.write(json.dumps({"src": state["id"], "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def rpc(dest, body):
    slot = {"event": threading.Event()}
    with out:
        state["next"] += 1
        body["msg_id"] = state["next"]
        waiters[body["msg_id"]] = slot
    send(dest, body)
    slot["event"].wait(1.0)
    waiters.pop(body["msg_id"], None)
    return slot.get("reply")


def reply(msg, body):
    body["in_reply_to"] = msg["body"]["msg_id"]
    send(msg["src"], body)


def seq_read():
    r = rpc("seq-kv", {"type": "read", "key": "total"})
    return r["value"] if r and r["type"] == "read_ok" else 0


def add_locally(delta):
    while True:
        cur = seq_read()
        r = rpc("seq-kv", {"type": "cas", "key": "total", "from": cur, "to": cur + delta,
                           "create_if_not_exists": True})
        if r and r["type"] == "cas_ok":
            return


def serve(msg):
    body = msg["body"]
    quiet = time.monotonic() - state["last_request"] > 1.0
    state["last_request"] = time.monotonic()
    if body["type"] == "fwd_add":
        add_locally(body["delta"])
        reply(msg, {"type": "fwd_add_ok"})
    elif body["type"] == "add":
        if state["id"] == state["ids"][0]:
            add_locally(body["delta"])
        else:
            while not rpc(state["ids"][0], {"type": "fwd_add", "delta": body["delta"]}):
                pass
        reply(msg, {"type": "add_ok"})
    else:
        if quiet:
            state["cached"] = seq_read()
        reply(msg, {"type": "read_ok", "value": state["cached"]})


def worker():
    while True:
        serve(work.get())


threading.Thread(target=worker, daemon=True).start()
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        state["id"], state["ids"] = body["node_id"], body["node_ids"]
        reply(msg, {"type": "init_ok"})
    elif "in_reply_to" in body:
        slot = waiters.get(body["in_reply_to"])
        if slot:
            slot["reply"] = body
            slot["event"].set()
    else:
        work.put(msg)
