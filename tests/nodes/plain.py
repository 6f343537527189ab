"""A plain blocking Maelstrom loop for the simulator's test nodes: stdlib only and independent
of maelstrom_node.py, so the simulator's tests never depend on the runtime they help to judge.

    serve(handle)     answers init itself; for every other request calls handle(msg) and, when
                      it returns a body, replies with it (in_reply_to filled in).
                      serve(handle, worker=True) calls handle on one worker thread instead, so
                      a handler may block on rpc()
    send(dest, body)  one protocol line (thread-safe);  reply(msg, body)
    rpc(dest, body)   send a request and wait for its reply body (None after `timeout` s)
    to_peers(body)    send body to every other node
    every(s, fn)      call fn() every s seconds on a daemon thread (periodic gossip)
    node["id"], node["ids"], peers()

Nodes in tests/broken/ put tests/nodes/ on sys.path before importing this module.
"""
import itertools
import json
import queue
import sys
import threading
import time

node = {"id": None, "ids": []}
_lock = threading.Lock()
_msg_ids = itertools.count(1)
_waiting = {}                   # msg_id -> [event, reply body]


def peers():
    return [n for n in node["ids"] if n != node["id"]]


def send(dest, body):
    with _lock:
        sys.stdout.write(json.dumps({"src": node["id"], "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()


def to_peers(body):
    for peer in peers():
        send(peer, body)


def every(seconds, fn):
    def loop():
        while True:
            time.sleep(seconds)
            fn()
    threading.Thread(target=loop, daemon=True).start()


def reply(msg, body):
    send(msg["src"], {**body, "in_reply_to": msg["body"]["msg_id"]})


def rpc(dest, body, timeout=1.0):
    msg_id = next(_msg_ids)
    slot = _waiting[msg_id] = [threading.Event(), None]
    send(dest, {**body, "msg_id": msg_id})
    slot[0].wait(timeout)
    _waiting.pop(msg_id, None)
    return slot[1]


def serve(handle, worker=False):
    answer = _answerer(handle)
    if worker:
        answer = _in_worker_thread(answer)
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        body = msg["body"]
        if body.get("type") == "init":
            node["id"], node["ids"] = body["node_id"], body["node_ids"]
            reply(msg, {"type": "init_ok"})
        elif "in_reply_to" in body:
            slot = _waiting.get(body["in_reply_to"])
            if slot:
                slot[1] = body
                slot[0].set()
        else:
            answer(msg)


def _in_worker_thread(answer):
    """Queue requests to one thread that answers them in order; returns the enqueuing call."""
    work = queue.Queue()

    def run():
        while True:
            answer(work.get())

    threading.Thread(target=run, daemon=True).start()
    return work.put


def _answerer(handle):
    def answer(msg):
        out = handle(msg)
        if out is not None:
            reply(msg, out)
    return answer
