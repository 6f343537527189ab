"""The lin-kv linearizability checker (sim/checkers/linearizable.py)."""

import os
import random

import pytest

from linkv_histories import linkv_history
from sim import edn
from sim.checkers import linearizable
from sim.checkers.linearizable import calls_of, check_history, check_register
from sim.history import History

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
MAELSTROM_HISTORIES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                   "sim", "calibration", "maelstrom-histories")


def history(*events):
    """Jepsen-shaped ops from (type, process, f, value) tuples in real-time order."""
    return [{"index": i, "time": i * 1000, "type": t, "process": p, "f": f, "value": v,
             "final": False} for i, (t, p, f, v) in enumerate(events)]


def op(p, f, v, result="ok"):
    """A sequential op: invocation then completion (a read's invocation carries nil)."""
    return [("invoke", p, f, None if f == "read" else v), (result, p, f, v)]


def seq(*ops):
    return history(*[e for o in ops for e in o])


def valid(h, **kw):
    return check_register(h, **kw)["valid"]


# --- the model ----------------------------------------------------------------------------

def test_sequential_ok_ops():
    h = seq(op(0, "write", 1), op(1, "read", 1), op(0, "cas", [1, 2]), op(1, "read", 2),
            op(2, "write", 2), op(2, "read", 2))
    assert valid(h) is True


def test_empty_history_and_only_failures_are_valid():
    assert valid([]) is True
    assert valid(seq(op(0, "write", 1, "fail"), op(0, "read", 1, "fail"))) is True


def test_concurrent_ops_may_take_effect_in_any_order():
    # two overlapping writes, then reads that only fit "2 before 1"
    h = history(("invoke", 0, "write", 1), ("invoke", 1, "write", 2), ("ok", 0, "write", 1),
                ("ok", 1, "write", 2), *op(2, "read", 1), *op(3, "read", 1))
    assert valid(h) is True
    # a read overlapping a write sees either value
    for seen in (None, 1):
        h = history(*op(0, "write", seen or 0), ("invoke", 0, "write", 1), ("invoke", 1, "read", None),
                    ("ok", 1, "read", seen), ("ok", 0, "write", 1))
        assert valid(h) is True


def test_stale_read_is_a_violation():
    h = seq(op(0, "write", 1), op(1, "write", 2), op(2, "read", 1))
    result = check_register(h)
    assert result["valid"] is False
    assert result["op"] == {"process": 2, "f": "read", "value": 1, "invoke_index": 4, "index": 5}
    assert result["linearized"] == 2 and result["states"] == [2]
    assert "read 1 by process 2" in result["explanation"]
    assert "could hold only 2" in result["explanation"]


def test_ok_cas_on_an_unwritten_register_is_a_violation():
    h = seq(op(0, "cas", [0, 1]))
    result = check_register(h)
    assert result["valid"] is False and result["states"] == [None]
    assert "could hold only nil" in result["explanation"]
    assert valid(h, initial=0) is True  # Knossos's data starts from 0


def test_failed_cas_is_unchecked():
    assert valid(seq(op(0, "cas", [3, 4], "fail"), op(0, "read", 1, "fail"))) is True


def test_null_read_matches_anything():
    h = seq(op(0, "write", 1), op(1, "read", None), op(0, "cas", [1, 2]), op(1, "read", None))
    assert valid(h) is True
    assert valid(seq(op(1, "read", None))) is True


def test_failed_op_is_dropped():
    assert valid(seq(op(0, "write", 5, "fail"), op(1, "read", 5))) is False
    assert valid(seq(op(0, "write", 1), op(0, "write", 5, "fail"), op(1, "read", 1))) is True


def test_indefinite_write_may_take_effect_late():
    # the info write of 1 was invoked first; a later ok write of 2 is followed by reads of 1:
    # valid only because the info write lands after the write of 2
    h = history(("invoke", 0, "write", 1), ("info", 0, "write", 1),
                *op(1, "write", 2), *op(2, "read", 2), *op(2, "read", 1), *op(3, "read", 1))
    assert valid(h) is True
    as_failure = [dict(o, type="fail") if o["type"] == "info" else o for o in h]
    assert valid(as_failure) is False
    # but it cannot take effect before its invocation
    early = history(*op(1, "write", 2), *op(2, "read", 1), ("invoke", 0, "write", 1), ("info", 0, "write", 1))
    assert valid(early) is False


def test_indefinite_op_may_never_take_effect():
    # an info cas that could never apply must not be forced into the linearization
    h = history(*op(1, "write", 2), ("invoke", 0, "cas", [9, 1]), ("info", 0, "cas", [9, 1]),
                *op(2, "read", 2), *op(1, "write", 3), *op(2, "read", 3))
    assert valid(h) is True
    # an invocation that never completes counts as indefinite too
    h = history(*op(1, "write", 2), ("invoke", 0, "write", 7), *op(2, "read", 2), *op(2, "read", 7))
    assert valid(h) is True


def test_indefinite_op_takes_effect_at_most_once():
    h = history(*op(1, "write", 1), ("invoke", 0, "cas", [1, 2]), ("info", 0, "cas", [1, 2]),
                *op(2, "read", 2), *op(1, "write", 1), *op(2, "read", 2))
    assert valid(h) is False
    twice = history(*op(1, "write", 1), ("invoke", 0, "cas", [1, 2]), ("info", 0, "cas", [1, 2]),
                    ("invoke", 3, "cas", [1, 2]), ("info", 3, "cas", [1, 2]),
                    *op(2, "read", 2), *op(1, "write", 1), *op(2, "read", 2))
    assert valid(twice) is True


def test_indefinite_read_is_dropped():
    h = seq(op(0, "write", 1), op(1, "read", 4, "info"), op(1, "read", 1))
    assert valid(h) is True


def test_pairing_takes_read_values_from_completions_and_skips_the_nemesis():
    h = history(("info", "nemesis", "start-partition", "majority"), ("invoke", 0, "read", None),
                ("invoke", 1, "write", 3), ("ok", 0, "read", 3), ("info", 1, "write", 3),
                ("invoke", 2, "cas", [1, 2]))
    calls = calls_of(History(h))
    assert [(c.f, c.value, c.process, c.call, c.ret) for c in calls] == [
        ("read", 3, 0, 0, 2), ("write", 3, 1, 1, None), ("cas", [1, 2], 2, 4, None)]
    assert [(c.invoke_index, c.complete_index) for c in calls] == [(1, 3), (2, 4), (5, None)]


def test_an_op_left_pending_by_its_process_is_indefinite():
    """sim.history pairs by process: an invocation followed by another on the same process
    never completes, so a write left that way may take effect late, or never."""
    h = history(("invoke", 0, "write", 1), ("invoke", 0, "write", 2), ("ok", 0, "write", 2),
                *op(1, "read", 1))
    assert valid(h) is True
    assert valid(h + seq(op(1, "read", 2))) is False


# --- independent keys ---------------------------------------------------------------------

def kv(p, f, k, v, result="ok"):
    return [("invoke", p, f, [k, None if f == "read" else v]), (result, p, f, [k, v])]


def test_keys_are_checked_independently():
    h = seq(kv(0, "write", 0, 1), kv(1, "write", 1, 2), kv(2, "read", 0, 1), kv(3, "read", 1, 2),
            kv(0, "cas", 1, [2, 3]), kv(2, "read", 1, 3))
    result = check_history(h)
    assert result["valid"] is True and set(result["results"]) == {0, 1}
    with_failed_key = h + seq(kv(5, "read", 2, None, "fail"), kv(5, "cas", 2, [1, 2], "fail"))
    result = check_history(with_failed_key)
    assert set(result["results"]) == {0, 1, 2} and result["results"][2]["valid"] is True
    bad = h + seq(kv(4, "read", 0, 2))  # 2 was written to key 1, never key 0
    result = check_history(bad)
    assert result["valid"] is False and result["failures"] == [0]
    assert result["results"][0]["op"]["value"] == 2 and result["results"][1]["valid"] is True
    assert isinstance(result["check_ms"], int)


def test_single_register_history_through_check_history():
    assert check_history(seq(op(0, "write", 1), op(0, "cas", [1, 2]), op(1, "read", 2)))["valid"] is True
    assert check_history(seq(op(0, "write", 1), op(1, "read", 2)))["valid"] is False


# --- bounds -------------------------------------------------------------------------------

def long_register_history(n):
    rng = random.Random(n)
    return seq(*[op(i % 3, "write", rng.randrange(5)) for i in range(n)])


def test_config_cap_gives_unknown():
    result = check_register(long_register_history(50), max_configs=10)
    assert result["valid"] == "unknown" and result["cause"] == "config-limit"


def test_deadline_gives_unknown():
    result = check_register(long_register_history(3000), timeout_s=0)
    assert result["valid"] == "unknown" and result["cause"] == "timeout"
    assert check_register(long_register_history(3000))["valid"] is True


def test_merge_false_beats_unknown_beats_true():
    long_key = [dict(o, value=[1, o["value"]]) for o in long_register_history(50)]
    bad_key = seq(kv(9, "read", 0, 4))
    for o in bad_key:
        o["index"] += 1000
    result = check_history(long_key + bad_key, max_configs=10)
    assert result["valid"] is False and result["failures"] == [0] and result["unknown_keys"] == [1]
    result = check_history(long_key, max_configs=10)
    assert result["valid"] == "unknown" and result["failures"] == [] and result["unknown_keys"] == [1]


# --- against a brute-force oracle ---------------------------------------------------------

def brute_force(calls, initial=None):
    """Linearizable iff some order of all ok ops and some of the indefinite ones respects
    real time (x before y when x returned before y was invoked) and the model."""
    oks = [c for c in calls if c.ret is not None]
    infos = [c for c in calls if c.ret is None]

    def apply(state, c):
        if c.f == "read":
            return state if c.value is None or c.value == state else "bad"
        if c.f == "write":
            return c.value
        return c.value[1] if state == c.value[0] else "bad"

    def search(state, ok_left, info_left):
        if not ok_left:
            return True
        for c in ok_left + info_left:
            if any(o.ret < c.call for o in ok_left if o is not c):
                continue
            nxt = apply(state, c)
            if nxt != "bad" and search(nxt, [o for o in ok_left if o is not c],
                                       [o for o in info_left if o is not c]):
                return True
        return False

    return search(initial, oks, infos)


def random_history(rng, n_ops):
    events, pending, free = [], {}, list(range(4))
    rng.shuffle(free)
    started = 0
    while started < n_ops or pending:
        if free and started < n_ops and (not pending or rng.random() < 0.5):
            p = free.pop()
            f = rng.choice(["read", "write", "cas"])
            v = [rng.randrange(3), rng.randrange(3)] if f == "cas" else rng.randrange(3)
            events.append(("invoke", p, f, None if f == "read" else v))
            pending[p] = (f, v)
            started += 1
        else:
            p = rng.choice(sorted(pending))
            f, v = pending.pop(p)
            result = rng.choices(["ok", "fail", "info"], [5, 1, 3])[0]
            if f == "read":
                v = rng.choice([None, 0, 1, 2, 2])
            events.append((result, p, f, v))
            free.append(p)
    return history(*events)


@pytest.mark.parametrize("eager_configs", [linearizable.EAGER_CONFIGS, 0])
def test_agrees_with_brute_force_on_random_histories(monkeypatch, eager_configs):
    """Both searches: the plain depth-first one, and (with no eager budget) the one in
    order of tokens spent."""
    monkeypatch.setattr(linearizable, "EAGER_CONFIGS", eager_configs)
    rng = random.Random(20251129)
    verdicts = []
    for _ in range(600):
        h = random_history(rng, rng.randrange(1, 8))
        initial = rng.choice([None, 0])
        expected = brute_force(calls_of(History(h)), initial)
        assert valid(h, initial=initial) is expected, h
        verdicts.append(expected)
    assert 100 < sum(verdicts) < 500  # both outcomes well represented


# --- real histories -----------------------------------------------------------------------

def read_fixture(*parts):
    return edn.read_file(os.path.join(FIXTURES, *parts))


def maelstrom_history(name):
    return edn.read_file(os.path.join(MAELSTROM_HISTORIES, f"{name}.edn.gz"))


def test_maelstrom_lin_kv_histories():
    """Real Maelstrom verdicts: the lin-kv proxy is valid; the seq-kv proxy fails on keys 0 and
    1, at the very ops Knossos named (read 0 at index 279 with the register at 4; cas 4->4 at
    index 593 with the register at 0)."""
    result = check_history(maelstrom_history("linkv_proxy"))
    assert result["valid"] is True and sorted(result["results"]) == [0, 1]
    result = check_history(maelstrom_history("linkv_seqkv"))
    assert result["valid"] is False and result["failures"] == [0, 1]
    key0, key1 = result["results"][0], result["results"][1]
    assert (key0["op"]["f"], key0["op"]["value"], key0["op"]["index"], key0["states"]) == ("read", 0, 279, [4])
    assert (key1["op"]["f"], key1["op"]["value"], key1["op"]["index"], key1["states"]) == ("cas", [4, 4], 593, [0])


def bad_read_at_end(h, key, value=7):
    n = len(h)
    return h + [{"index": n, "type": "invoke", "process": 10**6, "f": "read", "value": [key, None]},
                {"index": n + 1, "type": "ok", "process": 10**6, "f": "read", "value": [key, value]}]


@pytest.mark.parametrize("eager_configs", [linearizable.EAGER_CONFIGS, 0])
def test_synthetic_lin_kv_histories_with_many_indefinite_ops(monkeypatch, eager_configs):
    """Maelstrom-shaped histories from a true register (so linearizable), with partitions
    making many ops indefinite; a read of a value never written, appended at the end of
    every key, makes each key fail at exactly that read."""
    monkeypatch.setattr(linearizable, "EAGER_CONFIGS", eager_configs)
    for seed in range(3):
        h = linkv_history(time_limit=15, p_info=0.05, p_info_partitioned=0.3, partition_s=3,
                          latency=0.3, seed=seed)
        result = check_history(h)
        assert result["valid"] is True, result["failures"]
        assert sum(r["indefinite_ops"] for r in result["results"].values()) > 10
        for key, r in result["results"].items():
            bad = check_history(bad_read_at_end(h, key))
            assert bad["failures"] == [key]
            assert bad["results"][key]["op"]["index"] == len(h) + 1
            assert bad["results"][key]["linearized"] == r["ok_ops"]


def test_synthetic_stale_reads_are_caught():
    caught = 0
    for seed in range(5):
        h = linkv_history(time_limit=20, stale=0.05, seed=seed)
        result = check_history(h)
        assert result["valid"] in (True, False)
        caught += result["valid"] is False
    assert caught >= 4


def knossos_fixtures():
    root = os.path.join(FIXTURES, "knossos")
    return [(label, name) for label in ("good", "bad")
            for name in sorted(os.listdir(os.path.join(root, label)))]


@pytest.mark.parametrize("eager_configs", [linearizable.EAGER_CONFIGS, 0])
@pytest.mark.parametrize("label, name", knossos_fixtures())
def test_knossos_labelled_histories(monkeypatch, eager_configs, label, name):
    """Knossos's cas-register data, checked as Knossos does (initial value 0)."""
    monkeypatch.setattr(linearizable, "EAGER_CONFIGS", eager_configs)
    result = check_register(read_fixture("knossos", label, name), initial=0)
    assert result["valid"] is (label == "good"), result.get("explanation")


@pytest.mark.parametrize("name, process, value, index, states", [
    ("bad-analysis.edn", 21, 2, 14, [0]),
    ("cas-failure.edn.gz", 70, 0, 491, [2]),
    ("rethink-fail-minimal.edn", 1, 3, 4, [0, 4]),
    ("rethink-fail-smaller.edn.gz", 12, 3, 217, [0, 4]),
])
def test_knossos_bad_histories_fail_at_the_op_knossos_names(name, process, value, index, states):
    result = check_register(read_fixture("knossos", "bad", name), initial=0)
    op = result["op"]
    assert (op["process"], op["f"], op["value"], op["index"]) == (process, "read", value, index)
    assert result["states"] == states
