"""kafka_log.py: a one-node transcript, two live nodes with a relayed (and lossy) link, and
short simulator runs."""
import json
import queue
import time
from pathlib import Path

import pytest

from sim_runs import run_all
from transcript import Session, Transcript, play

ROOT = Path(__file__).resolve().parent.parent


def msg(src, body, dest="n0"):
    return json.dumps({"src": src, "dest": dest, "body": body}, separators=(",", ":"))


def reply(dest, body, src="n0"):
    return json.dumps({"src": src, "dest": dest, "body": body}, separators=(",", ":"))


def test_one_node_send_poll_commit_and_list():
    steps = [
        (">", msg("c0", {"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0"]})),
        ("<", reply("c0", {"type": "init_ok", "in_reply_to": 1})),
        # one counter for all keys: offsets rise per key and may be sparse
        (">", msg("c1", {"type": "send", "msg_id": 1, "key": "k1", "msg": 10})),
        ("<", reply("c1", {"type": "send_ok", "offset": 0, "in_reply_to": 1})),
        (">", msg("c1", {"type": "send", "msg_id": 2, "key": "k2", "msg": 20})),
        ("<", reply("c1", {"type": "send_ok", "offset": 1, "in_reply_to": 2})),
        (">", msg("c1", {"type": "send", "msg_id": 3, "key": "k1", "msg": 11})),
        ("<", reply("c1", {"type": "send_ok", "offset": 2, "in_reply_to": 3})),
        (">", msg("c1", {"type": "send", "msg_id": 4, "key": "k1", "msg": {"any": "json"}})),
        ("<", reply("c1", {"type": "send_ok", "offset": 3, "in_reply_to": 4})),
        # a poll starts at the asked offset; keys with nothing are left out
        (">", msg("c2", {"type": "poll", "msg_id": 1, "offsets": {"k1": 1, "k2": 0, "k3": 0}})),
        ("<", reply("c2", {"type": "poll_ok", "msgs": {"k1": [[2, 11], [3, {"any": "json"}]],
                                                       "k2": [[1, 20]]}, "in_reply_to": 1})),
        (">", msg("c2", {"type": "poll", "msg_id": 2, "offsets": {"k1": 4}})),
        ("<", reply("c2", {"type": "poll_ok", "msgs": {}, "in_reply_to": 2})),
        # committed offsets never go backwards
        (">", msg("c2", {"type": "commit_offsets", "msg_id": 3, "offsets": {"k1": 2, "k2": 1}})),
        ("<", reply("c2", {"type": "commit_offsets_ok", "in_reply_to": 3})),
        (">", msg("c2", {"type": "commit_offsets", "msg_id": 4, "offsets": {"k1": 0}})),
        ("<", reply("c2", {"type": "commit_offsets_ok", "in_reply_to": 4})),
        (">", msg("c3", {"type": "list_committed_offsets", "msg_id": 1,
                         "keys": ["k1", "k2", "k3"]})),
        ("<", reply("c3", {"type": "list_committed_offsets_ok", "offsets": {"k1": 2, "k2": 1},
                           "in_reply_to": 1})),
        # malformed requests get error 12 and change nothing
        (">", msg("c3", {"type": "send", "msg_id": 2, "msg": 1})),
        ("<", reply("c3", {"type": "error", "code": 12, "text": "missing field 'key'",
                           "in_reply_to": 2})),
        (">", msg("c3", {"type": "poll", "msg_id": 3, "offsets": {"k1": "0"}})),
        ("<", reply("c3", {"type": "error", "code": 12, "text": "offsets must be ints",
                           "in_reply_to": 3})),
        (">", msg("c3", {"type": "send", "msg_id": 4, "key": "k1", "msg": 12})),
        ("<", reply("c3", {"type": "send_ok", "offset": 4, "in_reply_to": 4})),
    ]
    play(Transcript("kafka_log one node", ["kafka_log.py"], {}, steps))


# --- two live nodes, syncs relayed by the test -----------------------------------------

class Pair:
    """n0 and n1 as processes; the test carries their sync messages and may drop some."""

    def __init__(self, drop=lambda src, body: False):
        self.drop = drop          # (src, body) -> True to lose that sync
        self.nodes = {n: Session(["kafka_log.py"]) for n in ("n0", "n1")}
        self.syncs = []           # (src, body) of every sync seen, delivered or not
        self.replies = queue.Queue()
        for n, s in self.nodes.items():
            s.send(msg("c0", {"type": "init", "msg_id": 1, "node_id": n,
                              "node_ids": ["n0", "n1"]}, dest=n))
            assert json.loads(s.expect())["body"]["type"] == "init_ok"

    def call(self, node, body):
        """Send a client request and pump syncs until its reply arrives."""
        self.nodes[node].send(msg("c9", body, dest=node))
        deadline = time.time() + 10
        while time.time() < deadline:
            self.pump(0.02)
            try:
                return self.replies.get_nowait()["body"]
            except queue.Empty:
                pass
        raise AssertionError("no reply")

    def pump(self, seconds):
        """Relay node-to-node lines for `seconds`; return how many syncs went by."""
        seen = 0
        end = time.time() + seconds
        while time.time() < end:
            for name, s in self.nodes.items():
                try:
                    line = s.lines.get(timeout=0.005)
                except queue.Empty:
                    continue
                m = json.loads(line)
                if m["dest"] in self.nodes:
                    seen += 1
                    self.syncs.append((name, m["body"]))
                    if not self.drop(name, m["body"]):
                        self.nodes[m["dest"]].send(line)
                else:
                    self.replies.put(m)
        return seen

    def settle(self, quiet=0.6, limit=8.0):
        """Relay until no sync has passed for `quiet` seconds; False if that never happens."""
        end = time.time() + limit
        while time.time() < end:
            if self.pump(quiet) == 0:
                return True
        return False

    def close(self):
        for s in self.nodes.values():
            s.kill()


def test_two_nodes_poll_only_the_stable_prefix_and_resend_lost_syncs():
    dropped = []

    def drop_first_from_n0(src, body):
        if src == "n0" and body["events"] and not dropped:
            dropped.append(body)
            return True
        return False

    pair = Pair(drop_first_from_n0)
    try:
        assert pair.call("n0", {"type": "send", "msg_id": 1, "key": "a", "msg": 1})["offset"] == 0
        assert pair.call("n1", {"type": "send", "msg_id": 2, "key": "a", "msg": 2})["offset"] == 1
        assert pair.call("n1", {"type": "send", "msg_id": 3, "key": "b", "msg": 3})["offset"] == 3
        # n0 cannot know yet whether n1 used offset 1: it returns only what lies below
        first = pair.call("n0", {"type": "poll", "msg_id": 4, "offsets": {"a": 0, "b": 0}})
        assert first["msgs"] in ({"a": [[0, 1]]}, {"a": [[0, 1], [1, 2]], "b": [[3, 3]]})

        assert pair.settle()
        assert dropped, "n0 never sent its send to n1"
        resent = [b for src, b in pair.syncs if src == "n0" and b["from"] == 0 and b["events"]]
        assert len(resent) >= 2 and resent[1]["events"] == dropped[0]["events"]

        everything = {"a": [[0, 1], [1, 2]], "b": [[3, 3]]}
        for node in ("n0", "n1"):
            polled = pair.call(node, {"type": "poll", "msg_id": 5, "offsets": {"a": 0, "b": 0}})
            assert polled["msgs"] == everything

        assert pair.call("n0", {"type": "commit_offsets", "msg_id": 6, "offsets": {"a": 1}})
        assert pair.settle()
        listed = pair.call("n1", {"type": "list_committed_offsets", "msg_id": 7, "keys": ["a"]})
        assert listed["offsets"] == {"a": 1}
        # offsets keep rising per key on both nodes after they learnt each other's floors
        later = [pair.call(n, {"type": "send", "msg_id": 8, "key": "a", "msg": 9})["offset"]
                 for n in ("n0", "n1")]
        assert min(later) > 1 and later[0] % 2 == 0 and later[1] % 2 == 1
        assert pair.settle()
    finally:
        pair.close()


# --- back-off, on a clock the test controls -------------------------------------------

def test_resends_to_a_silent_peer_back_off_and_resume_once_it_answers():
    import kafka_log
    replica = kafka_log.Replica("n0", ["n0", "n1"])
    replica.send("k", 1)
    bodies = [replica.sync_for("n1") for _ in range(50)]         # 50 rounds (10 s)
    full = [i for i, body in enumerate(bodies) if body["events"]]
    assert full == [0, 1, 2, 4, 8, 16, 24, 32, 40, 48]     # 1, 1, 2, 4, then 8 rounds apart
    assert all(bodies[i]["events"] == [["m", "k", 0, 1]] for i in full)
    probes = [body for body in bodies if not body["events"]]     # every other round: a probe
    assert len(probes) == 40 and all(p["need_ack"] and p["floor"] == -1 for p in probes)
    # the peer answers a probe once the partition heals: the backlog goes at the next round
    replica.on_sync("n1", {"from": 0, "events": [], "floor": 1, "ack": 0,
                           "your_floor": -1, "need_ack": False})
    assert replica.sync_for("n1")["events"] == [["m", "k", 0, 1]]


# --- simulator runs ---------------------------------------------------------------------

RUNS = {
    "two": ["--node-count", "2"],
    "three-latency": ["--node-count", "3", "--latency", "10", "--latency-dist", "exponential"],
    # polls stall while n0 and n1 are cut apart; resent syncs catch up after the heal
    "partitions": ["--node-count", "2", "--nemesis", "partition", "--nemesis-interval", "0.5"],
}


@pytest.fixture(scope="module")
def sim_runs(tmp_path_factory):
    """The short simulator runs, all at once; name -> (exit code, results.json)."""
    common = ["-w", "kafka", "--bin", ROOT / "kafka_log.py", "--concurrency", "2n",
              "--time-limit", "3", "--rate", "500", "--seed", "11"]
    runs = run_all(tmp_path_factory, {name: [*common, *flags] for name, flags in RUNS.items()})
    return {name: (done.code, done.results) for name, done in runs.items()}


@pytest.mark.parametrize("name", list(RUNS))
def test_sim_run_is_valid(sim_runs, name):
    code, results = sim_runs[name]
    workload = results["checkers"]["workload"]
    assert workload["valid"] is True, workload.get("error_types")
    assert workload["sent_ok"] > 100
    assert code == 0 and results["valid"] is True, results["errors"]
    assert 0 < results["net"]["servers"]["msgs_per_op"] < 0.1
