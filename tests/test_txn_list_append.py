"""txn_list_append.py: one node of two with the test playing its peer and clients (the
single-node transcripts are tests/transcripts/txn_list_append*.txt), its memory in
process, and short simulator runs (validity only). Only the order of events is
asserted, never how long anything took."""
import time
from pathlib import Path

import pytest

from sim_runs import run_all
from transcript import Session

ROOT = Path(__file__).resolve().parent.parent
PAIR = ["n0", "n1"]


def start(node_id):
    return Session.initialised(["txn_list_append.py"], node_id, PAIR)


def send(session, src, dest, body):
    session.send({"src": src, "dest": dest, "body": body})


def txn(msg_id, *ops):
    return {"type": "txn", "msg_id": msg_id, "txn": [list(op) for op in ops]}


def test_the_leader_of_two_commits_alone_and_answers_a_followers_client_directly():
    s = start("n0")
    try:
        for kind in ("raft_vote", "raft_vote"):           # pre-vote, then the vote
            ask = s.next_message("n1", kind)["body"]
            send(s, "n1", "n0", {"type": "raft_vote_res", "pre": ask["pre"],
                                 "term": ask["term"] if not ask["pre"] else 0, "granted": True})
        s.next_message("n1", "raft_append")              # n0 leads; nothing acknowledges it
        send(s, "c1", "n0", txn(1, ("append", 1, 5), ("r", 1, None)))
        reply = s.next_message("c1")["body"]             # flexible quorum: the leader alone
        assert reply == {"type": "txn_ok", "txn": [["append", 1, 5], ["r", 1, [5]]],
                         "in_reply_to": 1}
        deadline = time.monotonic() + 4.5
        send(s, "n1", "n0", {"type": "raft_forward", "reads": [], "commands": [
            ["n1:1", {"client": "c2", "msg_id": 3, "txn": [["append", 1, 6]],
                      "deadline": deadline}],
            ["n1:2", {"client": "c3", "msg_id": 4, "txn": [["append", 1, 7]],
                      "deadline": time.monotonic() - 1}]]})    # its client gave up
        assert s.next_message("c2")["body"] == {"type": "txn_ok", "txn": [["append", 1, 6]],
                                                 "in_reply_to": 3}
        send(s, "n1", "n0", {"type": "raft_forward", "commands": [], "reads": [
            {"client": "c2", "msg_id": 5, "txn": [["r", 1, None]], "deadline": deadline}]})
        assert s.next_message("c2")["body"] == {"type": "txn_ok", "txn": [["r", 1, [5, 6, 7]]],
                                                 "in_reply_to": 5}
        code, rest = s.close()
        assert code == 0 and all('"dest":"c3"' not in line for line in rest)
    finally:
        s.kill()


def test_a_follower_forwards_with_the_deadline_applies_and_leaves_the_answer_to_the_leader():
    s = start("n1")
    try:
        noop = [1, None, None]
        send(s, "n0", "n1", {"type": "raft_append", "term": 1, "prev_index": 0, "prev_term": 0,
                             "entries": [noop], "commit": 1, "sent": time.monotonic(),
                             "ack": False})
        before = time.monotonic()
        send(s, "c1", "n1", txn(1, ("append", 2, 9)))
        [[command_id, command]] = s.next_message("n0", "raft_forward")["body"]["commands"]
        assert (command["client"], command["msg_id"]) == ("c1", 1)
        assert command["txn"] == [["append", 2, 9]]
        assert before + 4 < command["deadline"] < time.monotonic() + 5
        send(s, "c2", "n1", txn(1, ("r", 2, None)))
        [read] = s.next_message("n0", "raft_forward")["body"]["reads"]
        assert (read["client"], read["txn"]) == ("c2", [["r", 2, None]])
        send(s, "n0", "n1", {"type": "raft_append", "term": 1, "prev_index": 1, "prev_term": 1,
                             "entries": [[1, command_id, command]], "commit": 2,
                             "sent": time.monotonic(), "ack": True})
        ack = s.next_message("n0", "raft_append_res")["body"]
        assert ack["success"] and ack["match"] == 2
        code, rest = s.close()
        assert code == 0 and all('"dest":"c' not in line for line in rest)   # n0 answers
    finally:
        s.kill()


def test_without_a_leader_a_txn_is_held_then_refused_with_11():
    s = start("n0")                                   # n1 never answers: no election wins
    try:
        send(s, "c1", "n0", txn(1, ("append", 1, 1)))
        reply = s.next_message("c1")["body"]
        assert (reply["type"], reply["code"], reply["in_reply_to"]) == ("error", 11, 1)
        code, _ = s.close()
        assert code == 0
    finally:
        s.kill()


def test_memory_follows_the_data_not_the_number_of_transactions(monkeypatch):
    import txn_list_append as node_module
    node = node_module.node
    monkeypatch.setattr(node, "node_id", "n0")
    monkeypatch.setattr(node, "node_ids", ["n0"])
    monkeypatch.setattr(node_module, "COMPACT_EVERY", 50)
    sent = []
    monkeypatch.setattr(node, "send", lambda dest, body: sent.append(body))
    node_module.start()
    for i in range(3000):
        node_module.txn({"src": "c1", "body": txn(i, ("append", i % 7, i), ("r", 5, None))})
        node_module.txn({"src": "c1", "body": txn(i, ("r", i % 7, None))})
    raft = node_module.raft
    assert len(sent) == 6000 and all(body["type"] == "txn_ok" for body in sent)
    assert sent[-1]["txn"] == [["r", 2999 % 7, list(range(2999 % 7, 3000, 7))]]
    assert raft.last_index - raft.log.start < 50 and len(raft._applied_ids) < 50
    assert raft.snapshot is not None and raft.log.start > 2900


# --- short simulator runs -----------------------------------------------------------------

def run(nodes, *flags):
    return ["-w", "txn-list-append", "--bin", ROOT / "txn_list_append.py",
            "--node-count", nodes, "--rate", "100", "--seed", "3", *flags]


PARTITIONS = ["--concurrency", "10n", "--time-limit", "8", "--nemesis", "partition",
              "--nemesis-interval", "1.5", "--recovery-wait", "1"]


@pytest.fixture(scope="module")
def sim_runs(tmp_path_factory):
    """name -> sim_runs.Done, all runs at once."""
    return run_all(tmp_path_factory, {
        "pair": run(2, "--time-limit", "4"),
        "partitions": run(3, *PARTITIONS),
        "snapshots": run(3, *PARTITIONS, "--", "--compact-every", "10"),
    })


@pytest.mark.parametrize("name", ["pair", "partitions", "snapshots"])
def test_sim_runs_are_strict_serializable(sim_runs, name):
    code, results = sim_runs[name].code, sim_runs[name].results
    workload = results["checkers"]["workload"]
    assert workload["valid"] is True, workload["anomaly_types"]
    assert results["valid"] is True and code == 0
    assert results["checkers"]["stats"]["by_f"]["txn"]["ok_count"] > 100


def test_sim_followers_behind_a_compaction_install_the_leaders_snapshot(sim_runs):
    logs = (sim_runs["snapshots"].dir / "node-logs").glob("*.log")
    assert any("installed the leader's snapshot" in log.read_text() for log in logs)
