"""End-to-end simulator runs: echo, unique-ids and g-counter against correct nodes (valid) and
deliberately broken ones (invalid, with the reason in results.json)."""

import json
import subprocess
import sys
from pathlib import Path

from sim import runner
from sim.cli import parse_args
from sim.workloads.unique_ids import UniqueIds

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = Path(__file__).resolve().parent.parent / "sim" / "calibration"


def run_sim(tmp_path, workload, node, *flags):
    """Run the simulator; return (exit code, results.json as a dict)."""
    if "--node-count" not in flags:
        flags = ("--node-count", "1", *flags)
    cmd = [sys.executable, "-m", "sim", "test", "-w", workload, "--bin", str(node),
           "--store", str(tmp_path), "--no-progress", "--seed", "7", *flags]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in r.stderr, r.stderr
    results = json.loads((tmp_path / "latest" / "results.json").read_text())
    return r.returncode, results, r


def nodes(name):
    return ROOT / "tests" / "nodes" / name


def broken(name):
    return ROOT / "tests" / "broken" / name


# --- echo --------------------------------------------------------------------------------

def test_echo_valid_with_maelstroms_message_accounting(tmp_path):
    code, res, out = run_sim(tmp_path, "echo", nodes("echo_plain.py"), "--time-limit", "2",
                             "--rate", "10")
    assert code == 0 and res["valid"] is True
    ops = res["op_count"]
    assert ops > 5
    # every op is one request and one reply, plus init and init_ok: all client messages
    assert res["net"]["clients"]["send_count"] == 2 * ops + 2
    assert res["net"]["servers"]["send_count"] == 0
    assert res["net"]["all"]["msgs_per_op"] == round((2 * ops + 2) / ops, 6)
    assert res["availability"] == {"ok_fraction": 1.0, "valid": True}
    assert res["checkers"]["stats"]["by_f"]["echo"]["ok_count"] == ops
    assert "Everything looks good" in out.stdout
    assert (tmp_path / "latest" / "history.jsonl").exists()
    assert (tmp_path / "latest" / "node-logs" / "n0.log").exists()


def test_calibration_echo_node_counts_like_maelstrom(tmp_path):
    code, res, _ = run_sim(tmp_path, "echo", CALIBRATION / "calib_echo.py", "--time-limit", "3",
                           "--node-count", "2")
    assert code == 0
    ops = res["op_count"]
    assert res["net"]["clients"]["send_count"] == 2 * ops + 4   # two inits, two init_oks


def test_echo_that_prints_to_stdout_is_invalid(tmp_path):
    code, res, _ = run_sim(tmp_path, "echo", broken("echo_prints_stdout.py"), "--time-limit", "1",
                           "--rate", "10")
    assert code == 1 and res["valid"] is False
    assert res["checkers"]["protocol"]["valid"] is False
    assert any("n0" in e and "got an echo request" in e for e in res["errors"])


def test_reply_with_an_extra_key_is_invalid(tmp_path):
    code, res, _ = run_sim(tmp_path, "echo", broken("echo_extra_key.py"), "--time-limit", "1")
    assert code == 1
    assert any("unexpected key(s) 'node'" in e for e in res["errors"])


def test_reply_after_the_client_timeout_is_invalid(tmp_path):
    code, res, _ = run_sim(tmp_path, "echo", broken("echo_late_reply.py"), "--time-limit", "9",
                           "--rate", "2")
    assert code == 1
    assert res["checkers"]["stats"]["info_count"] >= 1
    assert any("Invalid dest" in e and "n0" in e for e in res["errors"])
    assert res["checkers"]["workload"]["valid"] is False      # the timed-out op has no echo


# --- unique-ids --------------------------------------------------------------------------

def test_unique_ids_valid_under_partitions_with_total_availability(tmp_path):
    code, res, _ = run_sim(tmp_path, "unique-ids", nodes("ids_plain.py"), "--node-count", "3",
                           "--time-limit", "2", "--rate", "200", "--availability", "total",
                           "--nemesis", "partition", "--nemesis-interval", "0.5")
    assert code == 0
    w = res["checkers"]["workload"]
    assert w["duplicated_count"] == 0 and w["attempted_count"] == w["acknowledged_count"] > 100
    history = [json.loads(line) for line in
               (tmp_path / "latest" / "history.jsonl").read_text().splitlines()]
    assert any(op["process"] == "nemesis" for op in history)


def test_duplicate_ids_are_invalid(tmp_path):
    code, res, _ = run_sim(tmp_path, "unique-ids", broken("ids_duplicates.py"), "--node-count",
                           "2", "--time-limit", "1", "--rate", "50")
    assert code == 1 and res["checkers"]["workload"]["duplicated_count"] > 0


def test_a_workload_bug_that_turns_ops_into_info_makes_the_run_invalid(tmp_path, monkeypatch):
    # Without availability demands, info ops alone pass every other checker: only the
    # exceptions checker can tell a workload bug from a slow node.
    class Buggy(UniqueIds):
        async def invoke(self, client, op, process):
            self.calls = getattr(self, "calls", 0) + 1
            if self.calls % 3 == 0:
                raise KeyError("id")
            return await super().invoke(client, op, process)

    monkeypatch.setattr(runner, "load", lambda name: Buggy)
    opts = parse_args(["-w", "unique-ids", "--bin", str(nodes("ids_plain.py")), "--node-count",
                       "1", "--time-limit", "1", "--rate", "30", "--store", str(tmp_path),
                       "--no-progress", "--seed", "7"])
    assert runner.run(opts) == 1
    res = json.loads((tmp_path / "latest" / "results.json").read_text())
    checkers = res["checkers"]
    assert checkers["exceptions"]["valid"] is False
    assert "KeyError" in checkers["exceptions"]["exceptions"][0]
    assert checkers["stats"]["info_count"] > 0
    assert all(checkers[c]["valid"] for c in ("stats", "availability", "workload", "protocol"))
    assert res["valid"] is False


# --- g-counter ---------------------------------------------------------------------------

def test_g_counter_on_lin_kv_is_valid_under_partitions(tmp_path):
    code, res, _ = run_sim(tmp_path, "g-counter", nodes("gcounter_linkv.py"), "--node-count", "3",
                           "--time-limit", "2", "--rate", "50", "--nemesis", "partition",
                           "--nemesis-interval", "0.5", "--recovery-wait", "1")
    assert code == 0
    w = res["checkers"]["workload"]
    assert len(w["final_reads"]) == 3
    assert all(r == w["acceptable"][0][0] for r in w["final_reads"])
    assert res["net"]["servers"]["send_count"] > 0          # lin-kv traffic is server traffic
    by_f = res["checkers"]["stats"]["by_f"]
    assert by_f["add"]["count"] < by_f["read"]["count"]      # adds are about a third
    history = [json.loads(line) for line in
               (tmp_path / "latest" / "history.jsonl").read_text().splitlines()]
    # the nemesis alternates start/stop from the first op, and heals before the final phase
    nemesis = [op for op in history if op["process"] == "nemesis"]
    fs = [op["f"] for op in nemesis[::2]]
    assert fs[0] == "start-partition" and fs[-1] == "stop-partition"
    assert all(a != b for a, b in zip(fs[:-2], fs[1:-1]))
    # final reads (one per worker) start after the recovery wait that follows the main phase
    main = [op for op in history if op["process"] != "nemesis" and not op["final"]]
    final = [op for op in history if op["final"] and op["type"] == "invoke"]
    assert len(final) == 3
    assert min(op["time"] for op in final) - max(op["time"] for op in main) >= 0.99e9


def test_g_counter_trusting_a_stale_seq_kv_read_is_invalid(tmp_path):
    code, res, _ = run_sim(tmp_path, "g-counter", broken("gcounter_stale_seqkv.py"),
                           "--node-count", "3", "--time-limit", "2", "--rate", "50",
                           "--recovery-wait", "2")
    assert code == 1
    w = res["checkers"]["workload"]
    assert w["valid"] is False and w["errors"]


def test_counter_replying_floats_is_invalid(tmp_path):
    code, res, _ = run_sim(tmp_path, "g-counter", broken("counter_float.py"), "--time-limit", "1",
                           "--rate", "20", "--recovery-wait", "0")
    assert code == 1
    assert any("expected an int, got" in e for e in res["errors"])
