"""The g-set and pn-counter workloads: Maelstrom's generators, the set-full checker on what a
g-set read may return, the pn-counter checker with negative deltas, and short simulator runs
of a correct and a broken node for each."""

import random
from pathlib import Path

import pytest

import sim_runs
from sim.checkers import counter, set_full
from sim.history import History
from sim.workloads import load
from sim.workloads.g_counter import GCounter
from sim.workloads.g_set import GSet
from sim.workloads.pn_counter import PNCounter

ROOT = Path(__file__).resolve().parent.parent


# --- generators --------------------------------------------------------------------------

def draw(workload, n):
    return [workload.next_op(0, 0) for _ in range(n)]


def test_both_workloads_are_registered_under_maelstroms_names():
    assert load("g-set") is GSet and load("pn-counter") is PNCounter


def test_g_set_adds_each_element_once_in_order_mixed_half_and_half_with_reads():
    ops = draw(GSet(None, random.Random(4)), 2000)
    elements = [op["value"] for op in ops if op["f"] == "add"]
    assert elements == list(range(len(elements)))
    assert 900 < len(elements) < 1100
    assert all(op == {"f": "read", "value": None} for op in ops if op["f"] != "add")
    assert GSet(None, random.Random(4)).final_ops(3) == [{"f": "read", "value": None}]


def test_pn_counter_deltas_run_from_minus_five_to_four():
    ops = draw(PNCounter(None, random.Random(4)), 4000)
    deltas = [op["value"] for op in ops if op["f"] == "add"]
    assert set(deltas) == set(range(-5, 5))
    assert 1800 < len(deltas) < 2200
    assert PNCounter(None, random.Random(4)).final_ops(0) == [
        {"f": "read", "value": None, "final": True}]


def test_g_counter_is_pn_counter_with_its_negative_adds_filtered_out():
    pn_ops = draw(PNCounter(None, random.Random(9)), 3000)
    kept = [op for op in pn_ops if op["f"] != "add" or op["value"] >= 0]
    assert draw(GCounter(None, random.Random(9)), len(kept)) == kept
    adds = sum(op["f"] == "add" for op in kept)
    assert 0.28 < adds / len(kept) < 0.38                # a third: each draw is the mix again


# --- checkers on hand-written histories --------------------------------------------------

class Ops:
    """A Jepsen-shaped history, one op at a time, invoked and completed at once (ms)."""

    def __init__(self):
        self.ops = []

    def op(self, process, f, value, result=None, kind="ok", final=False):
        for entry in ({"type": "invoke", "value": value}, {"type": kind, "value": result}):
            t = len(self.ops)
            self.ops.append({"index": t, "time": t * 1_000_000, "process": process, "f": f,
                             "final": final, **entry})
        return self

    def add(self, process, delta, kind="ok"):
        return self.op(process, "add", delta, delta, kind)

    def read(self, process, value, final=False, kind="ok"):
        return self.op(process, "read", None, value, kind, final)

    def history(self):
        return History(self.ops)


def test_acceptable_sums_with_negative_and_positive_indeterminate_deltas():
    assert counter.acceptable_ranges(10, [-3, 2]) == [[7, 7], [9, 10], [12, 12]]
    assert counter.acceptable_ranges(10, [-1, 1]) == [[9, 11]]
    assert counter.acceptable_ranges(0, [-5, -5, 4]) == [[-10, -10], [-6, -5], [-1, 0], [4, 4]]


def test_pn_counter_final_reads_must_be_a_reachable_sum():
    ops = (Ops().add(0, 4).add(1, -5).add(0, -3, kind="info").add(2, 2, kind="info")
           .read(1, 999))                                        # mid-test reads are not judged
    good = ops.read(0, -2, final=True).read(1, 1, final=True).history()
    result = counter.check(good)
    assert result["valid"] is True
    assert result["acceptable"] == [[-4, -4], [-2, -1], [1, 1]]
    assert result["final_reads"] == [-2, 1]
    bad = ops.read(2, 0, final=True).history()
    assert counter.check(bad)["valid"] is False and counter.check(bad)["errors"] == [0]


def test_pn_counter_without_an_ok_final_read_passes_vacuously():
    h = Ops().add(0, 3).read(0, 7).read(1, None, final=True, kind="info").history()
    result = counter.check(h)
    assert result["valid"] is True and result["final_reads"] == []


def test_a_null_g_set_read_is_the_empty_set():
    h = Ops().add(0, 0).read(1, [0]).read(1, None).history()
    result = set_full.check(h)
    assert result["lost"] == [0] and result["valid"] is False


def test_g_set_read_items_match_an_element_only_as_clojure_compares_them():
    h = Ops().add(0, 1).read(1, [1.0, True, "1", [1], {"a": 1}, None]).read(1, [1]).history()
    result = set_full.check(h)
    # none of the odd items is element 1: the first read missed it, then a read saw it
    assert result["stable_count"] == 1 and result["stale_count"] == 1
    assert result["unexpected"] == ["1", "json:1.0", "json:[1]", "json:null", "json:true",
                                    'json:{"a": 1}']
    assert result["valid"] is True and result["warnings"]


# --- simulator runs ----------------------------------------------------------------------

SHORT = ["--node-count", "3", "--time-limit", "3", "--rate", "30", "--nemesis", "partition",
         "--nemesis-interval", "0.5", "--recovery-wait", "1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Four short runs under partitions, all at once."""
    yield from sim_runs.running(tmp_path_factory, {
        "g-set gossip": sim_runs.argv("g-set", ROOT / "tests" / "nodes" / "gset_gossip.py", SHORT),
        "g-set no replication": sim_runs.argv(
            "g-set", ROOT / "tests" / "broken" / "gset_no_replication.py", SHORT),
        "pn gossip": sim_runs.argv("pn-counter", ROOT / "tests" / "nodes" / "pncounter_gossip.py",
                                   SHORT),
        "pn max merge": sim_runs.argv(
            "pn-counter", ROOT / "tests" / "broken" / "pncounter_maxmerge.py", SHORT),
    })


def test_sim_passes_a_gossiping_g_set(runs):
    code, results = runs["g-set gossip"].done()[:2]
    assert code == 0
    sim_runs.assert_every_element_stable(results)


def test_sim_flags_a_g_set_that_never_replicates(runs):
    code, results = runs["g-set no replication"].done()[:2]
    workload = results["checkers"]["workload"]
    assert code == 1 and results["valid"] is False
    assert workload["valid"] is False and workload["lost_count"] > 0
    # its null reads of an empty set were accepted: the only failure is the lost elements
    assert results["errors"] == ["workload: " + workload["errors"][0]]
    assert results["checkers"]["protocol"]["valid"] is True


def test_sim_passes_a_pn_counter_of_increment_and_decrement_totals(runs):
    code, results = runs["pn gossip"].done()[:2]
    workload = results["checkers"]["workload"]
    assert code == 0 and results["valid"] is True
    assert len(workload["final_reads"]) == 3
    assert results["checkers"]["stats"]["by_f"]["add"]["ok_count"] > 10


def test_sim_flags_a_pn_counter_that_merges_signed_subtotals_by_max(runs):
    code, results = runs["pn max merge"].done()[:2]
    workload = results["checkers"]["workload"]
    assert code == 1 and workload["valid"] is False
    assert workload["errors"] and set(workload["errors"]) <= set(workload["final_reads"])
    assert not any(lo <= r <= hi for r in workload["errors"] for lo, hi in workload["acceptable"])
