"""txn_rw_register.py: transcripts of one node, replication between two, and short simulator
runs with a real partition nemesis."""

import json
import os
import subprocess
import sys
from pathlib import Path

from transcript import Session, run

ROOT = Path(__file__).resolve().parent.parent
NODE = "txn_rw_register.py"


def init(node_id="n0", node_ids=("n0",)):
    return {"src": "c0", "dest": node_id,
            "body": {"type": "init", "msg_id": 1, "node_id": node_id, "node_ids": list(node_ids)}}


def txn(msg_id, ops, node="n0", client="c1"):
    return {"src": client, "dest": node, "body": {"type": "txn", "msg_id": msg_id, "txn": ops}}


def body(line):
    return json.loads(line)["body"]


def test_one_node_transcript():
    result = run([NODE], [
        init(),
        txn(1, [["r", 1, None], ["w", 1, 5], ["r", 1, None], ["w", 2, 6]]),
        txn(2, [["r", 1, None], ["r", 2, None], ["r", 3, None]]),
        txn(3, [["w", 1, 7], ["w", 1, 8], ["r", 1, None]]),
        txn(4, [["r", 1, None]]),
    ])
    assert result.returncode == 0, result.stderr
    lines = result.stdout
    assert json.loads(lines[0]) == {"src": "n0", "dest": "c0",
                                    "body": {"type": "init_ok", "in_reply_to": 1}}
    assert json.loads(lines[1]) == {"src": "n0", "dest": "c1", "body": {
        "type": "txn_ok", "txn": [["r", 1, None], ["w", 1, 5], ["r", 1, 5], ["w", 2, 6]],
        "in_reply_to": 1}}
    assert body(lines[2])["txn"] == [["r", 1, 5], ["r", 2, 6], ["r", 3, None]]
    assert body(lines[3])["txn"] == [["w", 1, 7], ["w", 1, 8], ["r", 1, 8]]
    assert body(lines[4])["txn"] == [["r", 1, 8]]           # only the final write is installed
    assert len(lines) == 5                                  # a lone node never replicates


def test_a_malformed_request_gets_error_12():
    result = run([NODE], [init(), {"src": "c1", "dest": "n0",
                                   "body": {"type": "txn", "msg_id": 2}}])
    assert body(result.stdout[1])["code"] == 12


def test_a_malformed_micro_op_gets_error_12_and_nothing_is_written():
    result = run([NODE], [init(), txn(1, [["w", 1, 5], ["x"]]), txn(2, [["w", 1, 5], ["w", [1], 5]]),
                          txn(3, [["r", {"k": 1}, None]]), txn(4, [["w", True, 1]]),
                          txn(5, [["r", 1, None]])])
    assert [body(line).get("code") for line in result.stdout[1:5]] == [12, 12, 12, 12]
    assert body(result.stdout[5])["txn"] == [["r", 1, None]]


class Pair:
    """n0 as a live process, with the test playing its peer n1."""

    def __init__(self):
        self.session = Session([NODE])
        self.session.send(init("n0", ["n0", "n1"]))
        self.stash = {"c0": [], "c1": [], "n1": []}
        assert self.next_to("c0")["type"] == "init_ok"

    def request(self, msg_id, ops):
        self.session.send(txn(msg_id, ops))
        return self.next_to("c1")

    def next_to(self, dest):
        """The next body the node sent to dest (lines to others are kept for later)."""
        while not self.stash[dest]:
            line = json.loads(self.session.expect())
            self.stash[line["dest"]].append(line["body"])
        return self.stash[dest].pop(0)

    def batch_where(self, predicate):
        """The first batch to n1 matching predicate, skipping earlier ones."""
        while True:
            batch = self.next_to("n1")
            if predicate(batch):
                return batch

    def from_peer(self, from_seq, txns, ack):
        self.session.send({"src": "n1", "dest": "n0", "body": {
            "type": "replicate", "from_seq": from_seq, "txns": txns, "ack": ack}})

    def close(self):
        code, rest = self.session.close()
        self.session.kill()
        return code, rest


def test_writes_are_batched_to_the_peer_and_resent_until_acknowledged():
    pair = Pair()
    try:
        assert pair.request(2, [["w", 1, 5], ["w", 1, 6], ["w", 2, 7]])["type"] == "txn_ok"
        assert pair.request(3, [["r", 1, None]])["txn"] == [["r", 1, 6]]
        batch = pair.next_to("n1")
        assert batch == {"type": "replicate", "from_seq": 1,
                         "txns": [[1, [[1, 6], [2, 7]]]], "ack": 0}
        assert pair.next_to("n1") == batch                 # no ack: resent in full
        pair.from_peer(1, [], ack=1)
        assert pair.request(4, [["w", 3, 1]])["type"] == "txn_ok"
        assert pair.batch_where(lambda b: b["from_seq"] == 2) == {
            "type": "replicate", "from_seq": 2, "txns": [[2, [[3, 1]]]], "ack": 0}
    finally:
        pair.close()


def test_a_malformed_peer_batch_changes_nothing():
    pair = Pair()
    try:
        assert pair.request(2, [["w", 1, 5]])["type"] == "txn_ok"
        batch = pair.next_to("n1")
        pair.session.send({"src": "n1", "dest": "n0", "body": {            # no from_seq
            "type": "replicate", "txns": [[7, [[2, 70]]]], "ack": 1}})
        pair.from_peer(1, [[7, [[2, 70]]], "garbage"], ack=1)          # a good txn, then not
        pair.from_peer(1, [[7, [[[2], 70]]]], ack=1)                   # an unhashable key
        assert pair.request(3, [["r", 2, None]])["txn"] == [["r", 2, None]]
        assert pair.next_to("n1") == batch          # ack 1 was never taken: resent in full
    finally:
        pair.close()


def test_the_highest_version_wins_on_every_key_whatever_the_arrival_order():
    pair = Pair()
    try:
        assert pair.request(2, [["w", 1, 5], ["w", 2, 5]])["type"] == "txn_ok"   # (1, n0)
        # n1's txn 2 (counter 9) arrives first, after a gap: applied, but not acknowledged;
        # then txns 1 and 2: (1, "n1") beats (1, "n0") on both keys, 9 beats it on key 2.
        pair.from_peer(2, [[9, [[2, 90]]]], ack=0)
        pair.from_peer(1, [[1, [[1, 10], [2, 10]]], [9, [[2, 90]]]], ack=1)
        assert pair.request(3, [["r", 1, None], ["r", 2, None]])["txn"] == \
            [["r", 1, 10], ["r", 2, 90]]
        assert pair.request(4, [["w", 1, 11]])["type"] == "txn_ok"               # (10, n0)
        pair.from_peer(3, [[5, [[1, 50]]]], ack=1)                                # older
        assert pair.request(5, [["r", 1, None]])["txn"] == [["r", 1, 11]]
        batch = pair.batch_where(lambda b: b["ack"] == 3)
        assert batch["txns"][-1] == [10, [[1, 11]]]
    finally:
        pair.close()


# --- simulator runs with a partition --------------------------------------------------------

def sim(tmp_path, *flags):
    cmd = [sys.executable, "-m", "sim", "test", "-w", "txn-rw-register",
           "--bin", str(ROOT / NODE), "--seed", "11", *flags]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    results = json.loads((tmp_path / "store" / "latest" / "results.json").read_text())
    return proc.returncode, results


def converged(workload):
    """Every node holds the same final value for every key. The simulator heals the network
    before it probes, and probes until the nodes agree or 5 s pass: replicas must catch up."""
    final = workload["final_state"]
    return final["probed"] and final["keys"] > 0 and final["divergent_keys"] == []


def test_read_committed_and_totally_available_under_partitions(tmp_path):
    code, results = sim(tmp_path, "--node-count", "2", "--concurrency", "2n", "--time-limit", "6",
                        "--rate", "300", "--consistency-models", "read-committed",
                        "--availability", "total", "--nemesis", "partition",
                        "--nemesis-interval", "1")
    workload = results["checkers"]["workload"]
    assert workload["valid"] is True, workload
    assert converged(workload), workload["final_state"]
    assert results["availability"]["ok_fraction"] == 1.0
    assert results["net"]["servers"]["msgs_per_op"] < 0.1
    assert code == 0


def test_three_nodes_under_partitions(tmp_path):
    code, results = sim(tmp_path, "--node-count", "3", "--concurrency", "2n", "--time-limit", "5",
                        "--rate", "200", "--consistency-models", "read-committed",
                        "--availability", "total", "--nemesis", "partition",
                        "--nemesis-interval", "1", "--latency", "20",
                        "--latency-dist", "exponential")
    workload = results["checkers"]["workload"]
    assert workload["valid"] is True, workload
    assert converged(workload), workload["final_state"]
    assert code == 0
