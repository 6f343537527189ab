"""The broadcast workload: Maelstrom's topologies, its generator, and the set-full checker."""

import random
import types
from pathlib import Path

import pytest

import sim_runs
from sim.checkers import set_full
from sim.history import History as Paired
from sim.workloads import broadcast as bc

ROOT = Path(__file__).resolve().parent.parent


# --- topologies --------------------------------------------------------------------------

NODES = [f"n{i}" for i in range(25)]


def test_grid_topology_is_row_major_with_four_neighbours():
    topo = bc.topology("grid", NODES)
    assert topo["n0"] == ["n5", "n1"]
    assert topo["n6"] == ["n11", "n1", "n7", "n5"]
    assert topo["n24"] == ["n19", "n23"]
    assert set(topo) == set(NODES)


def test_grid_topology_with_a_ragged_last_row():
    topo = bc.topology("grid", NODES[:5])   # side 3: n0 n1 n2 / n3 n4
    assert topo == {"n0": ["n3", "n1"], "n1": ["n4", "n2", "n0"], "n2": ["n1"],
                    "n3": ["n0", "n4"], "n4": ["n1", "n3"]}


def test_line_and_total_topologies():
    assert bc.topology("line", NODES[:3]) == {"n0": ["n1"], "n1": ["n0", "n2"], "n2": ["n1"]}
    assert bc.topology("line", ["n0"]) == {}
    assert bc.topology("total", NODES[:3]) == {"n0": ["n1", "n2"], "n1": ["n0", "n2"], "n2": ["n0", "n1"]}


def test_tree_topologies_list_the_parent_first():
    topo = bc.topology("tree2", NODES[:6])
    assert topo == {"n0": ["n1", "n2"], "n1": ["n0", "n3", "n4"], "n2": ["n0", "n5"],
                    "n3": ["n1"], "n4": ["n1"], "n5": ["n2"]}
    tree4 = bc.topology("tree4", NODES)
    assert tree4["n0"] == ["n1", "n2", "n3", "n4"]
    assert tree4["n1"] == ["n0", "n5", "n6", "n7", "n8"]
    assert tree4["n5"] == ["n1", "n21", "n22", "n23", "n24"]
    assert bc.topology("tree3", ["n0"]) == {"n0": []}


# --- generator -------------------------------------------------------------------------

def test_generator_mixes_broadcasts_of_consecutive_ints_with_reads():
    w = bc.WORKLOAD(types.SimpleNamespace(topology="grid"), random.Random(7))
    ops = [w.next_op(0, 0) for _ in range(1000)]
    values = [op["value"] for op in ops if op["f"] == "broadcast"]
    assert values == list(range(len(values)))
    assert 400 < len(values) < 600
    assert {op["f"] for op in ops} == {"broadcast", "read"}
    assert w.final_ops(3) == [{"f": "read", "value": None, "final": True}]


# --- checker on synthetic histories ------------------------------------------------------

def check_set(ops):
    return set_full.check(Paired(ops), add_f="broadcast")


class History:
    """Builds a Jepsen-shaped history; times are in ms, stored as ns."""

    def __init__(self):
        self.ops = []

    def _op(self, kind, process, f, value, ms):
        self.ops.append({"index": len(self.ops), "type": kind, "f": f, "value": value,
                         "process": process, "time": int(ms * 1_000_000)})

    def broadcast(self, process, value, start, end, kind="ok"):
        self._op("invoke", process, "broadcast", value, start)
        self._op(kind, process, "broadcast", value, end)
        return self

    def read(self, process, values, start, end):
        self._op("invoke", process, "read", None, start)
        self._op("ok", process, "read", list(values), end)
        return self


def test_a_value_seen_by_every_later_read_is_stable_at_zero():
    h = History().broadcast(0, 0, 0, 1).read(1, [0], 2, 3).read(0, [0], 10, 11)
    result = check_set(h.ops)
    assert result["valid"] is True
    assert result["stable_count"] == 1 and result["stale_count"] == 0
    assert result["stable_latencies"] == {"0": 0, "0.5": 0, "0.95": 0, "0.99": 0, "1": 0}


def test_stable_latency_runs_from_the_ack_to_the_last_read_that_missed():
    h = (History().broadcast(0, 0, 0, 10)
         .read(1, [], 50, 51).read(1, [], 250, 251).read(1, [0], 300, 301))
    result = check_set(h.ops)
    assert result["valid"] is True
    assert result["stale_count"] == 1
    assert result["stable_latencies"]["1"] == 240
    assert result["worst_stale"] == [{"value": 0, "stable_latency": 240}]


def test_a_read_that_sees_the_value_before_its_ack_makes_it_known_earlier():
    h = History()
    h._op("invoke", 0, "broadcast", 0, 0)
    h.read(1, [0], 5, 20)             # known at 20 ms
    h.read(2, [], 30, 31)             # a later read misses it
    h._op("ok", 0, "broadcast", 0, 100)
    h.read(2, [0], 120, 121)
    result = check_set(h.ops)
    assert result["stable_latencies"]["0"] == 10    # 30 ms + 1 ns - 20 ms


def test_an_acknowledged_value_missing_from_the_final_reads_is_lost():
    h = (History().broadcast(0, 0, 0, 1).broadcast(0, 1, 2, 3)
         .read(1, [0, 1], 10, 11).read(1, [1], 20, 21))
    result = check_set(h.ops)
    assert result["valid"] is False
    assert result["lost"] == [0] and result["lost_count"] == 1
    assert result["stable_count"] == 1
    assert result["lost_latencies"]["0"] == 9       # last present read at 10 ms, known at 1 ms


def test_a_crashed_broadcast_never_seen_is_never_read_not_lost():
    h = History().broadcast(0, 0, 0, 1).broadcast(0, 1, 2, 3, kind="info").read(1, [0], 10, 11)
    result = check_set(h.ops)
    assert result["valid"] is True
    assert result["never_read"] == [1]


def test_a_read_concurrent_with_the_ack_does_not_lose_the_value():
    h = History()
    h._op("invoke", 1, "read", None, 0)
    h.broadcast(0, 0, 1, 2)
    h._op("ok", 1, "read", [], 3)       # invoked before the value was known
    result = check_set(h.ops)
    assert result["lost_count"] == 0 and result["never_read"] == [0]
    assert result["valid"] is False     # nothing stable: Jepsen's :unknown


def test_duplicates_and_values_nobody_broadcast_are_reported_but_valid_as_in_maelstrom():
    dup = check_set(History().broadcast(0, 0, 0, 1).read(1, [0, 0], 2, 3).ops)
    assert dup["valid"] is True and dup["duplicated"] == {"0": 2} and dup["warnings"]
    odd = check_set(History().broadcast(0, 0, 0, 1).read(1, [0, 99], 2, 3).ops)
    assert odd["valid"] is True and odd["unexpected"] == [99] and odd["warnings"]


def test_quantiles_pick_the_floor_index_like_jepsen():
    assert set_full.quantiles(list(range(100))) == {"0": 0, "0.5": 50, "0.95": 95, "0.99": 99, "1": 99}
    assert set_full.quantiles([]) is None


def test_nemesis_ops_and_failed_reads_are_ignored():
    h = History().broadcast(0, 0, 0, 1)
    h._op("invoke", "nemesis", "start-partition", None, 2)
    h._op("invoke", 1, "read", None, 3)
    h._op("fail", 1, "read", None, 4)
    h.read(1, [0], 5, 6)
    result = check_set(h.ops)
    assert result["valid"] is True and result["stable_count"] == 1


# --- simulator runs ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both runs start at once: each spends 10 s in Maelstrom's recovery wait."""
    short = ["--time-limit", "3", "--rate", "20"]
    yield from sim_runs.running(tmp_path_factory, {
        "flood": sim_runs.argv("broadcast", ROOT / "tests" / "nodes" / "broadcast_flood.py",
                               short + ["--node-count", "5", "--latency", "20"]),
        "forgetful": sim_runs.argv("broadcast", ROOT / "tests" / "broken" / "broadcast_forgetful.py",
                                   short + ["--node-count", "2"]),
    })


def test_sim_passes_a_flooding_node(runs):
    code, results = runs["flood"].done()[:2]
    workload = results["checkers"]["workload"]
    assert code == 0
    sim_runs.assert_every_element_stable(results)
    # 4 peers per broadcast, nothing else between servers
    assert results["net"]["servers"]["send_count"] == 4 * workload["attempt_count"]


def test_sim_flags_a_node_that_forgets_values(runs):
    code, results = runs["forgetful"].done()[:2]
    workload = results["checkers"]["workload"]
    assert code == 1 and results["valid"] is False
    assert workload["valid"] is False and workload["lost_count"] > 0
    assert workload["lost"][0] == 0          # the oldest value went first
