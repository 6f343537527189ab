"""The kafka workload: generator, client behaviour, Jepsen's checker, and simulator runs."""

import asyncio
import random
import types
from collections import Counter
from pathlib import Path

import pytest

from sim.workloads.base import ClientError, Timeout
from sim.checkers.kafka import check as check_kafka
from sim.history import History as Paired
from sim.workloads.kafka import KafkaWorkload
from sim.workloads.keypool import KeyPool
from sim_runs import run_all

ROOT = Path(__file__).resolve().parent.parent


# --- generator ---------------------------------------------------------------------------

def workload(concurrency=2, seed=3):
    return KafkaWorkload(types.SimpleNamespace(concurrency=concurrency), random.Random(seed))


def test_key_stream_gives_each_key_messages_1_to_16_then_a_fresh_key():
    stream = KeyPool(random.Random(1))
    sent = {}
    for _ in range(5000):
        f, key, msg = stream.mop()
        if f == "w":
            sent.setdefault(key, []).append(msg)
    assert all(msgs == list(range(1, len(msgs) + 1)) and len(msgs) <= 16 for msgs in sent.values())
    assert sum(len(m) == 16 for m in sent.values()) >= 100
    assert len(stream.active) == 10


def test_generator_mix_matches_maelstrom_proportions():
    w = workload()
    counts = Counter(w.next_op(0, i * 1_250_000)["f"] for i in range(16000))   # 20 s
    assert 0.45 < counts["send"] / (counts["send"] + counts["poll"]) < 0.5
    assert 180 < counts["assign"] < 340                    # about 1 in 64
    assert 1 <= counts["crash"] <= 5                       # one at 0 s, then every 15 s or so


def test_assign_names_the_next_ops_key_and_sometimes_unpolled_keys():
    w = workload()
    w.unpolled_sent = {"77": 3, "78": 1}
    assigns = []
    for i in range(20000):
        op = w.next_op(0, 10**9)
        if op["f"] == "assign":
            assigns.append(op["value"])
    assert all(isinstance(k, str) for a in assigns for k in a)
    with_unseen = [a for a in assigns if "77" in a and "78" in a]
    assert 0.2 < len(with_unseen) / len(assigns) < 0.5


# --- client ------------------------------------------------------------------------------

class FakeClient:
    """Answers from a script: {request type: reply body or exception}; records requests."""

    def __init__(self, replies):
        self.replies = replies
        self.requests = []

    async def call(self, body, reply_type, schema, timeout=5.0):
        self.requests.append(body)
        reply = self.replies[body["type"]]
        if isinstance(reply, Exception):
            raise reply
        return reply


def run(coro):
    return asyncio.run(coro)


def test_poll_commits_the_highest_offsets_it_got_in_the_same_op():
    w = workload()
    w.client_offsets[0] = {"1": 0, "2": 5}
    c = FakeClient({"poll": {"msgs": {"1": [[0, 1], [1, 2]], "2": []}}, "commit_offsets": {}})
    done = run(w.invoke(c, {"f": "poll", "value": [["poll"]]}, 0))
    assert done == {"type": "ok", "value": [["poll", {"1": [[0, 1], [1, 2]], "2": []}]]}
    assert c.requests == [{"type": "poll", "offsets": {"1": 0, "2": 5}},
                          {"type": "commit_offsets", "offsets": {"1": 1}}]
    assert w.client_offsets[0] == {"1": 2, "2": 5}


def test_an_empty_poll_sends_no_commit():
    w = workload()
    c = FakeClient({"poll": {"msgs": {}}})
    run(w.invoke(c, {"f": "poll", "value": [["poll"]]}, 0))
    assert c.requests == [{"type": "poll", "offsets": {}}]


def test_assign_keeps_known_offsets_and_starts_new_keys_at_the_committed_offset():
    w = workload()
    w.client_offsets[0] = {"1": 7, "9": 3}
    c = FakeClient({"list_committed_offsets": {"offsets": {"1": 2, "2": 4}}})
    done = run(w.invoke(c, {"f": "assign", "value": ["1", "2", "3"]}, 0))
    assert done["type"] == "ok"
    assert c.requests == [{"type": "list_committed_offsets", "keys": ["1", "2", "3"]}]
    assert w.client_offsets[0] == {"1": 7, "2": 4, "3": 0}


def test_send_records_the_offset_and_errors_make_the_op_info():
    w = workload()
    c = FakeClient({"send": {"offset": 12}})
    done = run(w.invoke(c, {"f": "send", "value": [["send", "4", 9]]}, 0))
    assert done == {"type": "ok", "value": [["send", "4", [12, 9]]]}
    for err in (ClientError(11, "busy"), Timeout()):
        c = FakeClient({"send": err})
        done = run(w.invoke(c, {"f": "send", "value": [["send", "4", 10]]}, 0))
        assert done["type"] == "info" and done["value"] == [["send", "4", 10]]


def test_crash_sends_nothing_and_is_info():
    c = FakeClient({})
    assert run(workload().invoke(c, {"f": "crash", "value": None}, 0))["type"] == "info"
    assert c.requests == []


def test_final_ops_crash_assign_everything_from_zero_then_poll_until_caught_up():
    w = workload()
    w.known_offsets = {"1": 3, "2": 0}
    final = w.final_ops(0)
    crash = next(final)
    assert crash["f"] == "crash"
    assign = final.send(run(w.invoke(FakeClient({}), crash, 0)))
    assert assign["f"] == "assign" and assign["value"] == ["1", "2"] and assign["seek_to_beginning"]
    c = FakeClient({})
    poll = final.send(run(w.invoke(c, assign, 2)))
    assert c.requests == [] and w.client_offsets[2] == {"1": 0, "2": 0}
    replies = iter([{"msgs": {"1": [[0, 1], [1, 2]], "2": [[0, 1]]}}, {"msgs": {"1": [[3, 3]]}}])

    class Paged(FakeClient):
        async def call(self, body, reply_type, schema, timeout=5.0):
            self.requests.append(body)
            return next(replies) if body["type"] == "poll" else {}

    c = Paged({})
    first = run(w.invoke(c, poll, 2))
    assert first["value"] == [["poll", {"1": [[0, 1], [1, 2]], "2": [[0, 1]]}]]
    second_poll = final.send(first)                 # key "1" is not caught up yet: poll again
    assert second_poll["f"] == "poll" and 0 <= second_poll["delay"] < 0.4
    second = run(w.invoke(c, second_poll, 2))
    assert second["value"] == [["poll", {"1": [[3, 3]]}]]
    with pytest.raises(StopIteration):              # every key caught up: the phase ends
        final.send(second)
    assert [r["type"] for r in c.requests] == ["poll", "commit_offsets", "poll", "commit_offsets"]
    assert [op["f"] for op in workload().final_ops(0)] == ["crash"]   # no keys: crash only


# --- checker on synthetic histories ------------------------------------------------------

class History:
    def __init__(self):
        self.ops = []

    def _pair(self, process, f, invoke_value, done_value, kind="ok"):
        for t, v in (("invoke", invoke_value), (kind, done_value)):
            self.ops.append({"index": len(self.ops), "type": t, "f": f, "value": v,
                             "process": process, "time": len(self.ops)})
        return self

    def send(self, process, key, offset, msg, kind="ok"):
        done = [["send", key, [offset, msg]]] if kind == "ok" else [["send", key, msg]]
        return self._pair(process, "send", [["send", key, msg]], done, kind)

    def poll(self, process, msgs):
        return self._pair(process, "poll", [["poll"]], [["poll", msgs]])

    def assign(self, process, keys):
        return self._pair(process, "assign", keys, keys)

    def check(self):
        return check_kafka(Paired(self.ops))


def test_a_clean_history_is_valid():
    h = (History().send(0, "1", 0, 1).send(1, "1", 1, 2).send(0, "2", 0, 1)
         .assign(2, ["1", "2"]).poll(2, {"1": [[0, 1], [1, 2]], "2": [[0, 1]]})
         .poll(2, {"1": []}))
    result = h.check()
    assert result["valid"] is True and result["error_types"] == []


def test_sparse_offsets_are_fine():
    h = History().send(0, "1", 4, 1).send(0, "1", 9, 2).poll(1, {"1": [[4, 1], [9, 2]]})
    assert h.check()["valid"] is True


def test_two_messages_at_one_offset_are_inconsistent():
    h = History().send(0, "1", 0, 1).send(1, "1", 0, 2).poll(2, {"1": [[0, 1]]})
    result = h.check()
    assert result["valid"] is False
    assert result["inconsistent-offsets"]["errors"][0] == {
        "key": "1", "offset": 0, "index": 0, "values": [1, 2]}


def test_a_message_at_two_offsets_is_a_duplicate():
    h = History().send(0, "1", 0, 1).poll(2, {"1": [[0, 1], [1, 1]]})
    result = h.check()
    assert result["duplicate"]["errors"][0]["offsets"] == [0, 1]
    assert "duplicate" in result["bad_error_types"]


def test_an_acked_message_below_a_polled_one_but_never_polled_is_lost():
    h = (History().send(0, "1", 0, 1).send(0, "1", 1, 2).send(0, "1", 2, 3)
         .poll(1, {"1": [[0, 1], [2, 3]]}))
    result = h.check()
    assert result["lost-write"]["count"] == 1
    assert result["lost-write"]["errors"][0]["value"] == 2
    assert result["int-poll-skip"]["errors"][0]["skipped"] == [2]


def test_an_acked_message_never_polled_at_all_is_unseen_not_lost():
    h = History().send(0, "1", 0, 1).send(0, "1", 1, 2).poll(1, {"1": [[0, 1]]})
    result = h.check()
    assert "lost-write" not in result
    assert result["unseen"]["unseen"] == {"1": 1} and result["valid"] is False


def test_an_info_send_nobody_polled_is_neither_lost_nor_unseen():
    h = (History().send(0, "1", 0, 1).send(0, "1", None, 2, kind="info")
         .poll(1, {"1": [[0, 1]]}))
    assert h.check()["valid"] is True


def test_an_info_send_that_was_polled_joins_the_log():
    h = (History().send(0, "1", None, 1, kind="info").send(1, "1", 1, 2)
         .poll(2, {"1": [[0, 1], [1, 2]]}))
    assert h.check()["valid"] is True


def test_a_process_whose_next_poll_jumps_ahead_skips():
    h = (History().send(0, "1", 0, 1).send(0, "1", 1, 2).send(0, "1", 2, 3)
         .poll(1, {"1": [[0, 1]]}).poll(1, {"1": [[2, 3]]}).poll(2, {"1": [[1, 2]]}))
    result = h.check()
    skip = result["poll-skip"]["errors"][0]
    assert skip["skipped"] == [2] and skip["delta"] == 2
    assert [o["index"] for o in skip["ops"]] == [7, 9]


def test_a_process_that_polls_the_same_message_again_is_nonmonotonic():
    h = (History().send(0, "1", 0, 1).send(0, "1", 1, 2)
         .poll(1, {"1": [[0, 1], [1, 2]]}).poll(1, {"1": [[1, 2]]}))
    result = h.check()
    assert result["nonmonotonic-poll"]["errors"][0]["delta"] == 0


def test_an_assign_that_drops_a_key_forgets_where_polls_of_it_were():
    h = (History().send(0, "1", 0, 1).send(0, "1", 1, 2).send(0, "1", 2, 3)
         .poll(1, {"1": [[0, 1], [1, 2], [2, 3]]}).assign(1, ["2"]).assign(1, ["1"])
         .poll(1, {"1": [[1, 2], [2, 3]]}))
    assert h.check()["valid"] is True
    h2 = (History().send(0, "1", 0, 1).send(0, "1", 1, 2).send(0, "1", 2, 3)
          .poll(1, {"1": [[0, 1], [1, 2], [2, 3]]}).assign(1, ["1"])
          .poll(1, {"1": [[1, 2], [2, 3]]}))
    assert h2.check()["nonmonotonic-poll"]["count"] == 1


def test_polls_out_of_order_inside_one_poll_are_internal_nonmonotonic():
    h = History().send(0, "1", 0, 1).send(0, "1", 1, 2).poll(1, {"1": [[1, 2], [0, 1]]})
    assert h.check()["int-nonmonotonic-poll"]["count"] == 1


def test_a_process_whose_send_lands_below_its_previous_send_is_nonmonotonic():
    h = (History().send(0, "1", 5, 1).send(0, "1", 3, 2)
         .poll(1, {"1": [[3, 2], [5, 1]]}))
    result = h.check()
    assert result["nonmonotonic-send"]["errors"][0]["values"] == [1, 2]
    assert result["nonmonotonic-send"]["errors"][0]["delta"] == -1


def test_a_message_nobody_sent_is_a_phantom_read():
    h = History().send(0, "1", 0, 1).poll(1, {"1": [[0, 1], [1, 99]]})
    assert h.check()["phantom-read"]["errors"][0]["value"] == 99


def test_a_message_whose_send_failed_read_is_g1a():
    h = History().send(0, "1", None, 1, kind="fail").send(0, "1", 1, 2)
    h.poll(1, {"1": [[0, 1], [1, 2]]})
    assert h.check()["G1a"]["count"] == 1


def test_messages_keep_their_json_types_apart():
    h = History().send(0, "1", 0, 1).send(0, "1", 1, "1").poll(1, {"1": [[0, 1], [1, "1"]]})
    assert h.check()["valid"] is True
    h = History().send(0, "1", 0, 1).poll(1, {"1": [[0, True]]})
    assert "phantom-read" in h.check()


# --- simulator runs ----------------------------------------------------------------------

NODES = {
    "correct": ROOT / "tests" / "nodes" / "kafka_single.py",
    "reuses": ROOT / "tests" / "broken" / "kafka_reuses_offsets.py",
    "loses": ROOT / "tests" / "broken" / "kafka_loses_writes.py",
}


@pytest.fixture(scope="module")
def sim_runs(tmp_path_factory):
    """One short simulator run per node, all at once (each waits out the 10 s recovery);
    name -> (exit code, results.json)."""
    flags = ["-w", "kafka", "--node-count", "1", "--concurrency", "2n", "--time-limit", "2",
             "--rate", "300", "--seed", "7"]
    runs = run_all(tmp_path_factory, {name: [*flags, "--bin", node] for name, node in NODES.items()})
    return {name: (done.code, done.results) for name, done in runs.items()}


def test_sim_passes_a_correct_single_node_log(sim_runs):
    code, results = sim_runs["correct"]
    workload = results["checkers"]["workload"]
    assert code == 0 and results["valid"] is True
    assert workload["valid"] is True and workload["sent_ok"] > 50
    assert results["net"]["servers"]["send_count"] == 0


def test_sim_flags_a_node_that_reuses_offsets(sim_runs):
    code, results = sim_runs["reuses"]
    workload = results["checkers"]["workload"]
    assert code == 1 and results["valid"] is False
    assert {"inconsistent-offsets", "lost-write"} <= set(workload["bad_error_types"])


def test_sim_flags_a_node_that_loses_writes(sim_runs):
    code, results = sim_runs["loses"]
    workload = results["checkers"]["workload"]
    assert code == 1 and workload["valid"] is False
    assert {"lost-write", "int-poll-skip", "unseen"} <= set(workload["bad_error_types"])
