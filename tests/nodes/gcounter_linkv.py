#!/usr/bin/env python3
"""A correct g-counter: adds are read + cas loops on one lin-kv key, reads read lin-kv.

A reader thread routes replies from lin-kv to waiting RPCs; one worker thread serves client
requests one at a time. Plain and blocking on purpose (simulator core tests)."""
import json
import queue
import sys
import threading

state = {"id": None, "next": 0}
out = threading.Lock()
waiters = {}
work = queue.Queue()


def send(dest, body):
    with out:
        state["next"] += 1
        body.setdefault("msg_id", state["next"])
        sys.stdout.write(json.dumps({"src": state["id"], "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()
    return body["msg_id"]


def rpc(body):
    slot = {"event": threading.Event()}
    with out:
        state["next"] += 1
        body["msg_id"] = state["next"]
        waiters[body["msg_id"]] = slot
    send("lin-kv", body)
    slot["event"].wait(1.0)
    waiters.pop(body["msg_id"], None)
    return slot.get("reply")


def reply(msg, body):
    body["in_reply_to"] = msg["body"]["msg_id"]
    send(msg["src"], body)


def read_total():
    r = rpc({"type": "read", "key": "total"})
    if r and r["type"] == "read_ok":
        return r["value"]
    if r and r.get("code") == 20:
        return 0
    return None


def worker():
    while True:
        msg = work.get()
        if msg["body"]["type"] == "add":
            while True:
                cur = read_total()
                if cur is None:
                    continue
                r = rpc({"type": "cas", "key": "total", "from": cur,
                         "to": cur + msg["body"]["delta"], "create_if_not_exists": True})
                if r and r["type"] == "cas_ok":
                    break
            reply(msg, {"type": "add_ok"})
        else:
            cur = None
            while cur is None:
                cur = read_total()
            reply(msg, {"type": "read_ok", "value": cur})


threading.Thread(target=worker, daemon=True).start()
for line in sys.stdin:
    if not line.strip():
        continue
    msg = json.loads(line)
    body = msg["body"]
    if body["type"] == "init":
        state["id"] = body["node_id"]
        reply(msg, {"type": "init_ok"})
    elif "in_reply_to" in body:
        slot = waiters.get(body["in_reply_to"])
        if slot:
            slot["reply"] = body
            slot["event"].set()
    elif body["type"] in ("add", "read"):
        work.put(msg)
