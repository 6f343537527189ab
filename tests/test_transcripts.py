"""Every tests/transcripts/*.txt file, played through the real executable."""
import glob
import json
import os

import pytest

from transcript import load, play, run

FILES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "transcripts", "*.txt")))


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(p) for p in FILES])
def test_transcript(path):
    play(load(path))


def generate(node_id, count, node_ids=("n0", "n1", "n2")):
    init = {"src": "c0", "dest": node_id, "body": {"type": "init", "msg_id": 1, "node_id": node_id,
                                                   "node_ids": list(node_ids)}}
    lines = [init] + [{"src": "c1", "dest": node_id, "body": {"type": "generate", "msg_id": i}}
                      for i in range(2, count + 2)]
    result = run(["unique_ids.py"], lines)
    assert result.returncode == 0
    return [json.loads(line)["body"]["id"] for line in result.stdout[1:]]


def test_unique_ids_are_unique_across_nodes_and_restarts():
    first, other, restarted = generate("n0", 3000), generate("n1", 3000), generate("n0", 3000)
    ids = first + other + restarted
    assert len(ids) == 9000 and len(set(ids)) == len(ids)
    assert all(type(i) is int and 0 <= i < 2 ** 63 for i in ids)
    assert first == sorted(first) and restarted == sorted(restarted)   # roughly time ordered
    assert max(first) < min(restarted)
    assert {(i >> 12) & 1023 for i in first + restarted} == {0}
    assert {(i >> 12) & 1023 for i in other} == {1}


def test_unique_ids_index_nodes_by_position_not_by_the_digits_in_their_names():
    names = ["a1", "b1", "n7"]
    indexes = [{(i >> 12) & 1023 for i in generate(name, 50, names)} for name in names]
    assert indexes == [{0}, {1}, {2}]


def test_unique_ids_survive_a_clock_step_back_and_a_full_millisecond(monkeypatch):
    import unique_ids
    clock = [(unique_ids.EPOCH_MS + 1000) * 1_000_000]
    monkeypatch.setattr(unique_ids.time, "time_ns", lambda: clock[0])
    monkeypatch.setattr(unique_ids, "state", {"index": 5, "ms": 0, "seq": 0})
    full = [unique_ids.next_id() for _ in range(5000)]       # more than 4096 in one ms
    clock[0] -= 50 * 1_000_000                               # the clock steps back 50 ms
    after = [unique_ids.next_id() for _ in range(10)]
    ids = full + after
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert full[4095] >> 22 == 1000 and full[4096] >> 22 == 1001   # borrowed the next ms
    assert {(i >> 12) & 1023 for i in ids} == {5}
