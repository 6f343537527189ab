"""The txn-rw-register workload: Elle's generator, and the checker on synthetic histories
and on real simulator runs against correct and deliberately broken nodes."""

import json
import os
import random
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path

from sim.checkers import rw_register
from sim.elle import cycles
from sim.elle.graph import REALTIME, RW, WW, Graph, order_edges
from sim.history import History as Paired
from sim.workloads import txn_rw_register as txn
from txn_histories import History

ROOT = Path(__file__).resolve().parent.parent


# --- generator ---------------------------------------------------------------------------

def make_workload(seed=3, **opts):
    return txn.WORKLOAD(types.SimpleNamespace(consistency_models=["read-committed"], **opts),
                        random.Random(seed))


def test_generator_makes_short_txns_with_unique_writes_per_key():
    w = make_workload()
    ops = [w.next_op(0, 0) for _ in range(3000)]
    assert {op["f"] for op in ops} == {"txn"}
    assert {len(op["value"]) for op in ops} == {1, 2, 3, 4}
    writes = [(k, v) for op in ops for f, k, v in op["value"] if f == "w"]
    assert len(writes) == len(set(writes))
    per_key = Counter(k for k, _ in writes)
    assert max(per_key.values()) <= 16
    assert all(v is None for op in ops for f, k, v in op["value"] if f == "r")
    assert all(isinstance(k, int) and isinstance(v, (int, type(None)))
               for op in ops for f, k, v in op["value"])


def test_generator_rotates_keys_and_favours_the_newest():
    w = make_workload()
    ops = [w.next_op(0, 0) for _ in range(3000)]
    keys = Counter(k for op in ops for _, k, _ in op["value"])
    assert max(keys) > 50                     # retired keys were replaced by fresh ones
    first = Counter(k for op in ops[:40] for _, k, _ in op["value"] if k < 10)
    assert first[9] > first[0]                # exponential: the last pool key is the likeliest


def test_generator_honours_txn_length_and_writes_per_key_options():
    w = make_workload(max_txn_length=1, max_writes_per_key=2, key_count=3)
    ops = [w.next_op(0, 0) for _ in range(200)]
    assert {len(op["value"]) for op in ops} == {1}
    per_key = Counter(k for op in ops for f, k, v in op["value"] if f == "w")
    assert max(per_key.values()) <= 2


# --- checker on synthetic histories ------------------------------------------------------

def check(history, models=("read-committed",), finals=None):
    extra = None
    if finals is not None:
        extra = {"final": {node: sorted(state.items()) for node, state in finals.items()}}
    return rw_register.check(Paired(history.ops), list(models), extra)


def test_a_serial_history_is_valid_under_every_model():
    h = (History().txn([["r", 1, None], ["w", 1, 1], ["w", 2, 1]])
         .txn([["r", 1, 1], ["r", 2, 1], ["w", 2, 2]])
         .txn([["w", 1, 2], ["w", 1, 3], ["r", 1, 3]]))
    result = check(h, ["read-uncommitted", "read-committed", "serializable"],
                   finals={"n0": {1: 3, 2: 2}, "n1": {1: 3, 2: 2}})
    assert result["valid"] is True
    assert result["anomaly_types"] == []
    assert result["models"]["read-committed"]["holds"] is True
    assert result["models"]["serializable"]["holds"] is True
    assert result["models"]["serializable"]["not_checked"] == []
    assert result["final_state"] == {"probed": True, "keys": 2, "divergent_count": 0,
                                     "divergent_keys": []}


def test_aborted_read_is_g1a_and_breaks_read_committed_only():
    h = (History().txn([["w", 1, 1]], type="fail")
         .txn([["r", 1, 1]]))
    rc = check(h)
    assert rc["valid"] is False
    assert rc["anomaly_types"] == ["G1a", "empty-transaction-graph"]   # no edge: as Elle
    assert rc["anomalies"]["G1a"][0]["mop"] == ["r", 1, 1]
    assert check(h, ["read-uncommitted"])["models"]["read-uncommitted"]["holds"] is True


def test_intermediate_read_is_g1b_but_reading_your_own_is_fine():
    h = (History().txn([["w", 1, 1], ["w", 1, 2], ["r", 1, 2]])
         .txn([["r", 1, 1]]))
    result = check(h)
    assert result["anomaly_types"] == ["G1b", "empty-transaction-graph"]
    assert result["anomaly_counts"] == {"G1b": 1, "empty-transaction-graph": 1}
    assert result["valid"] is False


def test_internal_inconsistency_is_reported_and_forbidden_by_serializable():
    h = History().txn([["w", 1, 5], ["r", 1, 4]])
    result = check(h, ["read-committed", "serializable"])
    assert result["anomaly_types"] == ["empty-transaction-graph", "internal"]
    assert result["models"]["read-committed"]["holds"] is True   # as Elle: RC allows it
    assert result["models"]["serializable"]["holds"] is False
    assert result["valid"] is False


def test_dirty_write_seen_only_through_the_final_state_is_g0():
    h = (History().txn([["w", 1, 1], ["w", 2, 1]], process=0)
         .txn([["w", 1, 2], ["w", 2, 2]], process=1))
    assert check(h, ["read-uncommitted"])["valid"] == "unknown"     # Maelstrom's blind spot:
    # without the final state nothing relates the two txns: Elle's empty-transaction-graph
    result = check(h, ["read-uncommitted"], finals={"n0": {1: 1, 2: 2}, "n1": {1: 1, 2: 2}})
    assert result["valid"] is False
    assert "G0" in result["anomaly_types"]
    cycle = result["anomalies"]["G0"][0]["cycle"]
    assert {step["type"] for step in cycle} == {"ww"}
    assert {step["key"] for step in cycle} == {1, 2}


def test_a_consistent_final_state_gives_no_g0():
    h = (History().txn([["w", 1, 1], ["w", 2, 1]])
         .txn([["w", 1, 2], ["w", 2, 2]]))
    assert check(h, finals={"n0": {1: 2, 2: 2}})["valid"] is True


def test_writes_follow_reads_order_plus_final_state_gives_g0():
    # T2 read T1's x and overwrote it, yet T1's y is final over T2's y.
    h = (History().txn([["w", 1, 1], ["w", 2, 1]])
         .txn([["r", 1, 1], ["w", 1, 2], ["w", 2, 2]]))
    result = check(h, ["read-uncommitted"], finals={"n0": {1: 2, 2: 1}})
    assert result["anomaly_types"] == ["G0"]     # a ww-only cycle; G1c's search is implied
    cycle = result["anomalies"]["G0"][0]["cycle"]
    assert [(step["type"], step["key"], step["via"]) for step in cycle] == [
        ("ww", 1, "writes-follow-reads"), ("ww", 2, "final state")]
    assert result["valid"] is False


def test_circular_information_flow_is_g1c():
    # T1 writes x, reads T2's y; T2 writes y, reads T1's x: each saw the other.
    h = (History().txn([["w", 1, 1], ["r", 2, 1]], process=0)
         .txn([["w", 2, 1], ["r", 1, 1]], process=1))
    result = check(h)
    assert result["anomaly_types"] == ["G1c"]
    assert {s["type"] for s in result["anomalies"]["G1c"][0]["cycle"]} == {"wr"}
    assert check(h, ["read-uncommitted"])["valid"] is True


def test_a_failed_write_in_the_final_state_is_an_aborted_read():
    h = History().txn([["w", 1, 1]], type="fail")
    result = check(h, finals={"n0": {1: 1}})
    assert result["anomaly_types"] == ["G1a", "empty-transaction-graph"]


def test_divergent_final_states_are_reported_not_used():
    h = (History().txn([["w", 1, 1], ["w", 2, 1]])
         .txn([["w", 1, 2], ["w", 2, 2]]))
    result = check(h, finals={"n0": {1: 1, 2: 2}, "n1": {1: 2, 2: 2}})
    assert result["final_state"]["divergent_keys"] == [1]
    assert result["valid"] is True


def test_a_reply_that_does_not_answer_the_request_is_malformed():
    h = History()
    h.ops += [{"index": 0, "type": "invoke", "f": "txn", "value": [["w", 1, 1]], "process": 0,
               "time": 0},
              {"index": 1, "type": "ok", "f": "txn", "value": [["w", 1, 2]], "process": 0,
               "time": 1}]
    result = check(h, ["read-uncommitted"])
    assert result["anomaly_types"] == ["empty-transaction-graph", "malformed"]
    assert result["valid"] is False


def test_info_txns_count_as_writers_but_not_as_readers():
    h = (History().txn([["w", 1, 1], ["w", 2, 1]], type="info", process=0)
         .txn([["w", 1, 2], ["w", 2, 2]], process=1))
    result = check(h, ["read-uncommitted"], finals={"n0": {1: 1, 2: 2}})
    assert result["anomaly_types"] == ["G0"]


def holds(result):
    return {model: verdict["holds"] for model, verdict in result["models"].items()}


def cycle_edges(result, anomaly):
    return [step["type"] for step in result["anomalies"][anomaly][0]["cycle"]]


def test_read_skew_is_g_single_forbidden_from_snapshot_isolation_up():
    # T2 saw T1's y but not T1's x: T2 -rw-> T1 (x) and T1 -wr-> T2 (y).
    h = (History().txn([["w", 1, 1], ["w", 2, 1]])
         .txn([["w", 1, 2], ["w", 2, 2]])
         .txn([["r", 1, 1], ["r", 2, 2]]))
    models = ["read-committed", "snapshot-isolation", "repeatable-read", "serializable"]
    result = check(h, models, finals={"n0": {1: 2, 2: 2}})
    assert result["anomaly_types"] == ["G-single-item"]
    assert sorted(cycle_edges(result, "G-single-item")) == ["rw", "wr"]
    assert holds(result) == {"read-committed": True, "snapshot-isolation": False,
                             "repeatable-read": False, "serializable": False}
    assert result["valid"] is False


def test_lost_update_is_reported_and_forbidden_by_cursor_stability_and_up():
    h = (History().txn([["w", 1, 1]])
         .txn([["r", 1, 1], ["w", 1, 2]], process=1)
         .txn([["r", 1, 1], ["w", 1, 3]], process=2))
    result = check(h, ["read-committed", "cursor-stability", "snapshot-isolation"])
    assert "lost-update" in result["anomaly_types"]
    assert result["anomalies"]["lost-update"][0]["key"] == 1
    assert holds(result) == {"read-committed": True, "cursor-stability": False,
                             "snapshot-isolation": False}


def test_write_skew_is_g2_item_which_snapshot_isolation_allows():
    # Each read x=1, y=1; T1 then wrote x, T2 wrote y: rw edges both ways, adjacent.
    h = (History().txn([["w", 1, 1], ["w", 2, 1]])
         .together([["r", 1, 1], ["r", 2, 1], ["w", 1, 2]],
                   [["r", 1, 1], ["r", 2, 1], ["w", 2, 2]]))
    models = ["read-committed", "snapshot-isolation", "repeatable-read", "serializable",
              "strict-serializable"]
    result = check(h, models)
    assert result["anomaly_types"] == ["G2-item"]
    assert cycle_edges(result, "G2-item") == ["rw", "rw"]
    assert holds(result) == {"read-committed": True, "snapshot-isolation": True,
                             "repeatable-read": False, "serializable": False,
                             "strict-serializable": False}


def test_two_nonadjacent_rw_edges_are_g_nonadjacent_which_snapshot_isolation_forbids():
    # T1 -rw-> T2 -wr-> T3 -rw-> T4 -wr-> T1: each reader missed one write, saw another.
    h = (History().txn([["r", 1, None], ["r", 4, 1]], process=0)
         .txn([["w", 1, 1], ["w", 2, 1]], process=1)
         .txn([["r", 2, 1], ["r", 3, None]], process=2)
         .txn([["w", 3, 1], ["w", 4, 1]], process=3))
    result = check(h, ["read-committed", "snapshot-isolation", "serializable"])
    assert result["anomaly_types"] == ["G-nonadjacent-item"]
    assert cycle_edges(result, "G-nonadjacent-item") == ["rw", "wr", "rw", "wr"]
    assert holds(result) == {"read-committed": True, "snapshot-isolation": False,
                             "serializable": False}


def test_stale_read_after_a_completed_write_breaks_only_realtime_models():
    # T1 wrote x and completed; T2, invoked later by another process, still read nil.
    h = (History().txn([["w", 1, 1]], process=0)
         .txn([["r", 1, None]], process=1))
    models = ["serializable", "strong-session-serializable", "strict-serializable",
              "strong-snapshot-isolation"]
    result = check(h, models)
    assert result["anomaly_types"] == ["G-single-item-realtime"]
    assert sorted(cycle_edges(result, "G-single-item-realtime")) == ["realtime", "rw"]
    assert holds(result) == {"serializable": True, "strong-session-serializable": True,
                             "strict-serializable": False, "strong-snapshot-isolation": False}


def test_a_stale_read_by_the_same_process_is_a_process_anomaly():
    h = History().txn([["w", 1, 1]], process=0).txn([["r", 1, None]], process=0)
    result = check(h, ["strong-session-serializable", "serializable"])
    assert result["anomaly_types"] == ["G-single-item-process"]
    assert holds(result) == {"strong-session-serializable": False, "serializable": True}
    # with a realtime model too, Elle's search sees realtime edges only and names the cycle so;
    # the session model is still judged on process edges
    result = check(h, ["strong-session-serializable", "strict-serializable"])
    assert result["anomaly_types"] == ["G-single-item-realtime"]
    assert holds(result) == {"strong-session-serializable": False, "strict-serializable": False}


def test_every_component_is_searched_on_the_same_edges():
    # two separate stale reads, each by its writer's own process: two components, each a
    # G-single-item-process
    h = (History().txn([["w", 1, 1]], process=0).txn([["r", 1, None]], process=0)
         .txn([["w", 2, 1]], process=1).txn([["r", 2, None]], process=1))
    result = check(h, ["strong-session-serializable"])
    assert result["anomaly_counts"] == {"G-single-item-process": 2}


def test_concurrent_txns_have_no_realtime_order():
    # The same stale read, but T2 was invoked before T1 completed: no anomaly.
    h = History().together([["w", 1, 1]], [["r", 1, None]])
    assert check(h, ["strict-serializable"])["valid"] is True


def test_realtime_edges_are_a_transitive_reduction():
    # Ten sequential txns: each links to the next only, not to every later one.
    h = History()
    for v in range(10):
        h.txn([["w", v, 1]], process=v % 2)
    graph = Graph()
    order_edges(graph, Paired(h.ops), {op["index"] for op in h.ops}, REALTIME)
    assert sum(len(out) for out in graph.out.values()) == 9


def test_a_walk_through_a_txn_twice_is_split_into_simple_cycles():
    rw, ww = RW, WW
    walk = [(1, 2, rw), (2, 1, ww), (1, 3, ww), (3, 4, rw), (4, 1, ww)]
    assert cycles.split_simple(walk) == [[(1, 3, ww), (3, 4, rw), (4, 1, ww)],
                                         [(1, 2, rw), (2, 1, ww)]]
    assert cycles.classify([rw, ww, REALTIME]) == "G-single-item-realtime"
    assert cycles.classify([rw, rw, ww]) == "G2-item"
    assert cycles.classify([rw, ww, rw, ww]) == "G-nonadjacent-item"


def test_models_this_checker_cannot_fully_see_are_not_claimed():
    h = History().txn([["w", 1, 1]]).txn([["r", 1, 1]])
    result = check(h, ["cursor-stability", "linearizable", "serializable"])
    assert holds(result) == {"cursor-stability": "not-checked", "linearizable": "not-checked",
                             "serializable": True}
    assert result["models"]["cursor-stability"]["not_checked"] == ["G-cursor"]
    assert result["valid"] is False


def test_an_info_txn_whose_writes_nobody_saw_adds_no_edges():
    # T2 timed out and may never have run: no stale-read cycle through it.
    h = (History().txn([["w", 1, 1]], process=0)
         .txn([["w", 1, 2], ["w", 2, 1]], type="info", process=1)
         .txn([["r", 1, 1], ["r", 2, None]], process=2))
    assert check(h, ["strict-serializable"], finals={"n0": {1: 1}})["valid"] is True


# --- simulator runs -----------------------------------------------------------------------

def sim_run(tmp_path, node, *flags, time_limit=3):
    """Run the simulator on a node; return (exit code, results.json as a dict)."""
    cmd = [sys.executable, "-m", "sim", "test", "-w", "txn-rw-register", "--bin", str(node),
           "--time-limit", str(time_limit), "--rate", "200", "--seed", "7", *flags]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    results = tmp_path / "store" / "latest" / "results.json"
    assert results.exists(), proc.stderr[-2000:]
    return proc.returncode, json.loads(results.read_text())


def workload_result(results):
    return results["checkers"]["workload"]


NODES = ROOT / "tests" / "nodes"
BROKEN = ROOT / "tests" / "broken"


def test_sim_passes_a_correct_node(tmp_path):
    code, results = sim_run(tmp_path, NODES / "txn_single.py", "--node-count", "1",
                            "--concurrency", "2n", "--consistency-models", "read-committed")
    result = workload_result(results)
    assert result["valid"] is True, result
    assert result["final_state"]["probed"] and result["final_state"]["keys"] > 0
    assert code == 0


def test_sim_flags_aborted_reads(tmp_path):
    code, results = sim_run(tmp_path, BROKEN / "txn_aborted_read.py", "--node-count", "1",
                            "--consistency-models", "read-committed")
    assert "G1a" in workload_result(results)["anomaly_types"]
    assert code == 1


def test_sim_flags_intermediate_reads(tmp_path):
    code, results = sim_run(tmp_path, BROKEN / "txn_intermediate_read.py", "--node-count", "1",
                            "--consistency-models", "read-committed")
    assert "G1b" in workload_result(results)["anomaly_types"]
    assert code == 1


def test_sim_flags_dirty_writes_that_maelstrom_cannot_see(tmp_path):
    code, results = sim_run(tmp_path, BROKEN / "txn_dirty_write.py", "--node-count", "1",
                            "--concurrency", "2n", "--consistency-models", "read-uncommitted")
    result = workload_result(results)
    assert "G0" in result["anomaly_types"]
    assert result["models"]["read-uncommitted"]["holds"] is False
    assert code == 1


def test_sim_flags_dirty_writes_between_converging_replicas(tmp_path):
    code, results = sim_run(tmp_path, BROKEN / "txn_lww_skewed.py", "--node-count", "2",
                            "--concurrency", "2n", "--consistency-models", "read-uncommitted")
    result = workload_result(results)
    assert "G0" in result["anomaly_types"]
    assert result["final_state"]["divergent_count"] == 0     # the replicas did converge
    assert code == 1


def test_sim_a_totally_available_node_is_read_committed_but_not_serializable(tmp_path):
    node = ROOT / "txn_rw_register.py"
    code, results = sim_run(tmp_path, node, "--node-count", "2", "--concurrency", "2n",
                            "--availability", "total", "--nemesis", "partition",
                            "--nemesis-interval", "1", "--rate", "500", "--consistency-models",
                            "read-committed,serializable,strict-serializable")
    result = workload_result(results)
    assert holds(result) == {"read-committed": True, "serializable": False,
                             "strict-serializable": False}
    assert {"G-single-item", "G-nonadjacent-item", "G2-item",
            "lost-update"} & set(result["anomaly_types"])
    assert code == 1
