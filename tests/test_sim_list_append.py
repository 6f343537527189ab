"""The txn-list-append workload: Elle's generator with appends, the list-append checker on
hand-written histories and on Maelstrom's own recorded histories (against the verdicts real
Elle gave), and simulator runs against correct and deliberately broken nodes."""

import random
import re
import types
from collections import Counter
from pathlib import Path

import pytest

from sim import edn
from sim.checkers import list_append
from sim.history import History as Paired
from sim.workloads import txn_list_append
from sim_runs import run_all
from txn_histories import History

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "sim" / "calibration"


# --- generator and client -----------------------------------------------------------------

def test_generator_appends_unique_elements_per_key():
    opts = types.SimpleNamespace(consistency_models=["strict-serializable"])
    w = txn_list_append.WORKLOAD(opts, random.Random(5))
    ops = [w.next_op(0, 0) for _ in range(3000)]
    assert {len(op["value"]) for op in ops} == {1, 2, 3, 4}
    assert {f for op in ops for f, _, _ in op["value"]} == {"r", "append"}
    appends = [(k, v) for op in ops for f, k, v in op["value"] if f == "append"]
    assert len(appends) == len(set(appends))
    assert max(Counter(k for k, _ in appends).values()) <= 16
    assert all(v is None for op in ops for f, _, v in op["value"] if f == "r")


def test_reply_schema_takes_lists_or_null_for_reads_and_any_element():
    from sim.schema import validate
    ok = {"txn": [["r", 1, None], ["r", 2, [1, "x"]], ["append", 3, 7]]}
    assert validate(ok, txn_list_append.TXN_OK) is None
    for bad in ([["r", 1, 5]], [["w", 1, 5]], [["append", 1]], [["r", 1, [1], 2]]):
        assert validate({"txn": bad}, txn_list_append.TXN_OK) is not None


# --- the checker on hand-written histories ------------------------------------------------

def check(history, models=("strict-serializable",)):
    return list_append.check(Paired(history.ops), list(models))


def holds(result):
    return {model: verdict["holds"] for model, verdict in result["models"].items()}


def cycle_edges(result, anomaly):
    return [step["type"] for step in result["anomalies"][anomaly][0]["cycle"]]


def test_a_serial_history_is_strict_serializable():
    h = (History().txn([["r", 1, None], ["append", 1, 1]])
         .txn([["append", 1, 2], ["r", 1, [1, 2]], ["append", 2, 1]])
         .txn([["r", 1, [1, 2]], ["r", 2, [1]]])
         .txn([["append", 1, 3]]))
    result = check(h, ["strict-serializable", "serializable", "read-committed"])
    assert result["valid"] is True, result["anomaly_types"]
    assert result["anomaly_types"] == []
    assert result["txn_count"] == 4


def test_reads_that_are_not_prefixes_of_one_another_are_incompatible_orders():
    h = (History().txn([["append", 1, 1]], process=0).txn([["append", 1, 2]], process=1)
         .txn([["r", 1, [1, 2]]], process=0).txn([["r", 1, [2]]], process=1))
    result = check(h)
    assert "incompatible-order" in result["anomaly_types"]
    assert result["anomalies"]["incompatible-order"] == [{"key": 1, "values": [(2,), (1, 2)]}]
    assert result["valid"] is False
    assert check(h, ["read-uncommitted"])["valid"] is True   # Elle: it only implies G1a


def test_reading_a_failed_append_is_g1a():
    h = (History().txn([["append", 1, 1]], type="fail").txn([["append", 2, 1]])
         .txn([["r", 1, [1]], ["r", 2, [1]]]))
    result = check(h, ["read-committed"])
    assert result["anomaly_types"] == ["G1a"]
    assert result["anomalies"]["G1a"][0]["element"] == 1
    assert check(h, ["read-uncommitted"])["valid"] is True


def test_a_read_ending_at_an_intermediate_append_is_g1b_unless_it_is_ones_own():
    h = (History().txn([["append", 1, 1], ["r", 1, [1]], ["append", 1, 2]], process=0)
         .txn([["r", 1, [1]]], process=1))
    result = check(h, ["read-committed"])
    assert result["anomaly_types"] == ["G1b"]
    assert result["anomaly_counts"] == {"G1b": 1}
    assert result["anomalies"]["G1b"][0]["op"]["process"] == 1


def test_a_read_disagreeing_with_the_txns_own_appends_is_internal():
    before = History().txn([["append", 1, 5]])
    lost_own = before.txn([["r", 1, [5]], ["append", 1, 6], ["r", 1, [5]]])
    result = check(lost_own, ["serializable"])
    assert result["anomaly_types"] == ["internal"]
    assert result["anomalies"]["internal"][0]["expected"] == [5, 6]
    unknown_prefix = History().txn([["append", 1, 5]]).txn([["append", 1, 6], ["r", 1, [6, 5]]])
    result = check(unknown_prefix, ["serializable"])
    assert result["anomalies"]["internal"][0]["expected"] == ["...", 6]
    fine = History().txn([["append", 1, 5]]).txn([["append", 1, 6], ["r", 1, [5, 6]]])
    assert check(fine, ["serializable"])["anomaly_types"] == []


def test_reading_an_element_the_txn_appends_later_is_a_future_read():
    h = History().txn([["r", 1, [3]], ["append", 1, 3]])
    result = check(h, ["read-atomic"])
    assert "future-read" in result["anomaly_types"]
    assert result["anomalies"]["future-read"][0]["element"] == 3


def test_a_committed_append_right_after_a_failed_one_is_a_dirty_update():
    h = (History().txn([["append", 1, 1]])
         .txn([["append", 1, 2]], type="fail")
         .txn([["append", 1, 3]])
         .txn([["r", 1, [1, 2, 3]]]))
    result = check(h, ["read-committed"])
    assert {"G1a", "dirty-update"} <= set(result["anomaly_types"])
    case = result["anomalies"]["dirty-update"][0]
    assert case["key"] == 1 and case["values"] == [2, 3]
    assert [t if t == "..." else t["index"] for t in case["txns"]] == [3, "...", 5]


def test_an_element_read_twice_in_one_list_is_a_duplicate():
    h = History().txn([["append", 1, 1]]).txn([["r", 1, [1, 1]]])
    result = check(h, ["read-uncommitted"])
    assert result["anomaly_types"] == ["duplicate-elements"]
    assert result["anomalies"]["duplicate-elements"][0]["duplicates"] == [[1, 2]]


def test_two_txns_appending_after_the_same_read_are_a_lost_update():
    h = (History().txn([["append", 1, 1]])
         .together([["r", 1, [1]], ["append", 1, 2]], [["r", 1, [1]], ["append", 1, 3]])
         .txn([["r", 1, [1, 2, 3]]]))
    result = check(h, ["read-committed", "repeatable-read"])
    assert "lost-update" in result["anomaly_types"]
    assert result["anomalies"]["lost-update"][0]["value"] == (1,)
    assert holds(result) == {"read-committed": True, "repeatable-read": False}


def test_appends_in_opposite_orders_on_two_keys_are_g0():
    h = (History().together([["append", 1, 1], ["append", 2, 2]],
                            [["append", 1, 2], ["append", 2, 1]])
         .txn([["r", 1, [1, 2]], ["r", 2, [1, 2]]]))
    result = check(h, ["read-uncommitted"])
    assert result["anomaly_types"] == ["G0"]
    assert cycle_edges(result, "G0") == ["ww", "ww"]
    assert {step["key"] for step in result["anomalies"]["G0"][0]["cycle"]} == {1, 2}


def test_each_seeing_the_others_append_is_g1c():
    h = History().together([["append", 1, 1], ["r", 2, [1]]], [["append", 2, 1], ["r", 1, [1]]])
    result = check(h, ["read-committed"])
    assert result["anomaly_types"] == ["G1c"]
    assert cycle_edges(result, "G1c") == ["wr", "wr"]


def test_read_skew_is_g_single_item_and_write_skew_g2_item():
    skew = (History().txn([["append", 1, 1], ["append", 2, 1]])
            .together([["r", 1, [1]], ["r", 2, [1, 2]]], [["append", 1, 2], ["append", 2, 2]])
            .txn([["r", 1, [1, 2]]]))
    result = check(skew, ["snapshot-isolation", "read-committed"])
    assert result["anomaly_types"] == ["G-single-item"]
    assert sorted(cycle_edges(result, "G-single-item")) == ["rw", "wr"]
    assert holds(result) == {"snapshot-isolation": False, "read-committed": True}
    write_skew = (History().together([["r", 1, None], ["r", 2, None], ["append", 1, 1]],
                                     [["r", 1, None], ["r", 2, None], ["append", 2, 1]])
                  .txn([["r", 1, [1]], ["r", 2, [1]]]))
    result = check(write_skew, ["snapshot-isolation", "serializable"])
    assert result["anomaly_types"] == ["G2-item"]
    assert holds(result) == {"snapshot-isolation": True, "serializable": False}


def test_a_stale_read_after_a_completed_append_breaks_only_strict_serializability():
    h = (History().txn([["append", 1, 1]], process=0)
         .txn([["append", 1, 2]], process=0)
         .txn([["r", 1, [1]]], process=1))
    result = check(h, ["strict-serializable", "serializable"])
    assert result["anomaly_types"] == ["G-single-item-realtime"]
    assert sorted(cycle_edges(result, "G-single-item-realtime")) == ["realtime", "rw"]
    assert holds(result) == {"strict-serializable": False, "serializable": True}
    assert check(h, ["serializable"])["anomaly_types"] == []


def test_an_unread_append_follows_the_last_element_read():
    # T3's append of 3 was never read, yet it must follow 2, which T2 read: T2 -rw-> T3,
    # and T3 completed before T2 began.
    h = (History().txn([["append", 1, 1], ["append", 1, 2]], process=0)
         .txn([["append", 1, 3]], process=0)
         .txn([["r", 1, [1, 2]]], process=1))
    result = check(h)
    assert result["anomaly_types"] == ["G-single-item-realtime"]
    rw = next(s for s in result["anomalies"]["G-single-item-realtime"][0]["cycle"]
              if s["type"] == "rw")
    assert (rw["value"], rw["value'"], rw["via"]) == (2, 3, list_append.UNREAD)


def test_a_history_without_a_single_dependency_is_unknown_as_elle_says():
    h = History().together([["append", 1, 1]], [["append", 2, 1]])
    result = check(h)
    assert result["anomaly_types"] == ["empty-transaction-graph"]
    assert result["valid"] == "unknown"


def test_an_info_txn_writes_but_its_null_reads_count_for_nothing():
    h = (History().txn([["append", 1, 1], ["r", 2, None]], type="info", process=0)
         .txn([["append", 2, 1]], process=1)
         .txn([["r", 1, [1]], ["r", 2, [1]]], process=2))
    assert check(h)["valid"] is True


# --- Maelstrom's own histories, checked against real Elle's verdicts ------------------------

def maelstrom_history(name):
    return Paired(edn.read_file(CALIBRATION / "maelstrom-histories" / f"{name}.edn.gz"))


def elle_anomaly_types(name):
    """The :anomaly-types Elle listed in Maelstrom's results map (none when it was valid)."""
    text = (CALIBRATION / "maelstrom-results" / f"{name}.edn").read_text()
    m = re.search(r":anomaly-types \(([^)]*)\)", text)
    return sorted(t.lstrip(":") for t in m.group(1).split()) if m else []


def test_maelstroms_valid_one_node_history_is_valid():
    history = maelstrom_history("lia_local_1")
    assert len(history.completed) == 967
    result = list_append.check(history, ["strict-serializable"])
    assert result["valid"] is True, result["anomaly_types"]
    assert elle_anomaly_types("lia_local_1") == result["anomaly_types"] == []


def test_maelstroms_two_node_history_shows_the_anomaly_types_elle_found():
    history = maelstrom_history("lia_local_2")
    assert len(history.completed) == 1013
    result = list_append.check(history, ["strict-serializable"])
    assert elle_anomaly_types("lia_local_2") == [
        "G-single-item", "G0", "incompatible-order", "lost-update"]
    assert result["anomaly_types"] == elle_anomaly_types("lia_local_2")
    assert result["valid"] is False
    assert result["models"]["strict-serializable"]["holds"] is False
    ru = list_append.check(history, ["read-uncommitted"])     # Elle: "not read-uncommitted"
    assert ru["anomaly_types"] == ["G0"] and ru["valid"] is False


# --- simulator runs -----------------------------------------------------------------------

NODES = ROOT / "tests" / "nodes"
BROKEN = ROOT / "tests" / "broken"


def run(node, nodes, *flags):
    return ["-w", "txn-list-append", "--bin", node, "--node-count", nodes, "--time-limit", "3",
            "--rate", "200", "--concurrency", "2n", "--seed", "7", *flags]


@pytest.fixture(scope="module")
def sim_runs(tmp_path_factory):
    """name -> (exit code, results.json), all runs at once."""
    runs = run_all(tmp_path_factory, {
        "linkv": run(NODES / "list_append_linkv.py", 2),
        "local-one": run(BROKEN / "list_append_local.py", 1),
        "local-two": run(BROKEN / "list_append_local.py", 2),
        "stale-strict": run(BROKEN / "list_append_stale_reads.py", 1),
        "stale-serializable": run(BROKEN / "list_append_stale_reads.py", 1,
                                  "--consistency-models", "serializable"),
    })
    return {name: (done.code, done.results) for name, done in runs.items()}


def workload_result(results):
    return results["checkers"]["workload"]


def test_sim_passes_a_correct_node_on_two_nodes(sim_runs):
    code, results = sim_runs["linkv"]
    result = workload_result(results)
    assert result["valid"] is True, result["anomaly_types"]
    assert results["checkers"]["stats"]["by_f"]["txn"]["ok_count"] > 100
    assert code == 0


def test_sim_passes_local_lists_on_one_node_and_flags_them_on_two(sim_runs):
    code, results = sim_runs["local-one"]
    assert workload_result(results)["valid"] is True and code == 0
    code, results = sim_runs["local-two"]
    result = workload_result(results)
    assert "incompatible-order" in result["anomaly_types"]
    assert result["valid"] is False and code == 1


def test_sim_flags_stale_reads_under_strict_serializability_only(sim_runs):
    code, results = sim_runs["stale-strict"]
    result = workload_result(results)
    assert "G-single-item-realtime" in result["anomaly_types"]
    assert result["models"]["strict-serializable"]["holds"] is False and code == 1
    code, results = sim_runs["stale-serializable"]
    result = workload_result(results)
    assert result["valid"] is True, result["anomaly_types"]
    assert code == 0
