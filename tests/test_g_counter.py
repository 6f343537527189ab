"""g_counter.py: freshness against a stale seq-kv, retries, gossip acknowledgement,
and a short simulator run with partitions (the transcript is tests/transcripts/g_counter.txt)."""
import json
import os
import subprocess
import sys
import time

from fake_services import FakeSeqKV
from transcript import ROOT, Session


def init(session, node_id="n1"):
    session.send({"src": "c0", "dest": node_id, "body": {"type": "init", "msg_id": 1,
                  "node_id": node_id, "node_ids": ["n0", "n1", "n2"]}})
    assert session.expect_json()["body"]["type"] == "init_ok"


def client(session, msg_id, type_, **fields):
    """Send a client request; return its reply body (gossip to peers is skipped)."""
    session.send({"src": "c1", "dest": "n1", "body": {"type": type_, "msg_id": msg_id, **fields}})
    while True:
        msg = session.expect_json()
        if msg["dest"] == "c1":
            return msg["body"]


def wait_until(predicate, timeout=10.0):
    """Poll a condition driven by the node's timers (no timing is asserted)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def kv_call(kv, src, **body):
    return kv.handle({"src": src, "dest": "seq-kv", "body": {"msg_id": 1, **body}})["body"]


def test_boot_reads_are_fresh_although_seq_kv_serves_stale_state():
    kv = FakeSeqKV(choose="stale")
    kv_call(kv, "n1", type="write", key="count/n1", value=10)
    kv_call(kv, "n0", type="write", key="count/n0", value=7)
    kv.seen["n1"] = 0                      # n1 restarts with the oldest view seq-kv allows
    assert kv_call(kv, "n1", type="read", key="count/n1")["code"] == 20   # a plain read is stale
    session = Session(["g_counter.py"], {"seq-kv": kv})
    try:
        init(session)
        assert client(session, 2, "read") == {"type": "read_ok", "value": 17, "in_reply_to": 2}
        assert client(session, 3, "add", delta=2)["type"] == "add_ok"
        wait_until(lambda: kv.latest.get("count/n1") == 12)   # never regresses below 10
    finally:
        session.kill()


def test_failed_and_timed_out_writes_are_retried():
    kv = FakeSeqKV()
    session = Session(["g_counter.py"], {"seq-kv": kv})
    try:
        init(session)
        kv.fail_next(11)
        kv.fail_next(13)
        assert client(session, 2, "add", delta=4)["type"] == "add_ok"
        wait_until(lambda: kv.latest.get("count/n1") == 4)
        kv.silent = True
        assert client(session, 3, "add", delta=1)["type"] == "add_ok"
        writes = lambda: sum(m["body"].get("key") == "count/n1" for m in kv.requests)
        before = writes()
        wait_until(lambda: writes() >= before + 2)            # timed out, then tried again
        kv.silent = False
        wait_until(lambda: kv.latest.get("count/n1") == 5)
    finally:
        session.kill()


def test_push_is_retried_until_the_peer_acknowledges():
    session = Session(["g_counter.py"], {"seq-kv": FakeSeqKV()})

    def ack(push):
        session.send({"src": push["dest"], "dest": "n1", "body": {
            "type": "gossip_ok", "view": {"n1": 1}, "in_reply_to": push["body"]["msg_id"]}})

    try:
        init(session)
        assert client(session, 2, "add", delta=1)["type"] == "add_ok"
        to_n0 = []
        while len(to_n0) < 2:                  # n0 stays silent, as if partitioned away
            push = session.expect_json()
            if push["dest"] == "n0":
                to_n0.append(push)
            else:
                ack(push)                      # (a slow ack may earn n2 a retry too)
        first, retry = to_n0
        assert retry["body"]["view"] == {"n1": 1}
        assert retry["body"]["msg_id"] > first["body"]["msg_id"]
        ack(retry)
        # lines are handled in order: once a read is answered with no push before it, the
        # acks are in and nothing is left to push
        for msg_id in range(3, 50):
            session.send({"src": "c1", "dest": "n1", "body": {"type": "read", "msg_id": msg_id}})
            pushes = 0
            while (line := session.expect_json())["dest"] != "c1":
                ack(line)
                pushes += 1
            if not pushes:
                break
        else:
            raise AssertionError("the pushes never stopped")
        code, rest = session.close()
        assert (code, rest) == (0, [])          # acknowledged everywhere: no more gossip
    finally:
        session.kill()


def test_simulator_run_with_partitions_is_valid(tmp_path):
    cmd = [sys.executable, "-m", "sim", "test", "-w", "g-counter", "--bin",
           os.path.join(ROOT, "g_counter.py"), "--node-count", "3", "--rate", "100",
           "--time-limit", "4", "--nemesis", "partition", "--nemesis-interval", "1",
           "--latency", "5", "--latency-dist", "exponential", "--seed", "7", "--no-progress"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT})
    results = json.loads((tmp_path / "store" / "latest" / "results.json").read_text())
    workload = results["checkers"]["workload"]
    assert proc.returncode == 0 and results["valid"] is True, proc.stdout[-2000:]
    assert len(set(workload["final_reads"])) == 1 and workload["errors"] == []
    assert results["checkers"]["stats"]["by_f"]["add"]["ok_count"] > 50
