"""`python3 -m sim check`: real Maelstrom histories give Maelstrom's verdicts and figures,
Knossos's labelled histories their labels, and a saved simulator run rechecks to the same
summary, results.json (timings aside) and exit code."""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim_runs
from sim import edn, recheck, report

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "sim" / "calibration"
KNOSSOS = ROOT / "tests" / "fixtures" / "knossos"
NODES = ROOT / "tests" / "nodes"
BROKEN = ROOT / "tests" / "broken"


def check(tmp_path, *args):
    """`sim check ARGS` in-process with its store under tmp_path: (exit code, results.json)."""
    store = tmp_path / "store"
    code = recheck.main([*map(str, args), "--store", str(store)])
    latest = store / "latest" / "results.json"
    return code, json.loads(latest.read_text()) if latest.exists() else None


def maelstrom_results(name):
    """The results map real Maelstrom printed for a calibration row, read as EDN."""
    text = (CALIBRATION / "maelstrom-results" / f"{name}.edn").read_text()
    return edn.plain(edn.loads(text))


# --- real Maelstrom histories ----------------------------------------------------------------

@pytest.mark.parametrize("name, workload", [
    ("gset_gossip_p", "g-set"), ("lia_local_1", "txn-list-append"),
    ("lia_local_2", "txn-list-append"), ("linkv_proxy", "lin-kv"), ("linkv_seqkv", "lin-kv"),
    ("pn_maxmerge", "pn-counter")])
def test_maelstrom_histories_get_maelstroms_verdict(tmp_path, name, workload):
    code, results = check(tmp_path, CALIBRATION / "maelstrom-histories" / f"{name}.edn.gz",
                          "-w", workload)
    theirs = maelstrom_results(name)
    assert results["valid"] is theirs["valid?"]
    assert code == (0 if theirs["valid?"] else 1)
    stats = results["checkers"]["stats"]
    assert (stats["count"], stats["ok_count"]) == (theirs["stats"]["count"],
                                                  theirs["stats"]["ok-count"])
    assert results["checkers"]["workload"]["valid"] is theirs["workload"]["valid?"]
    assert results["net"] is None and results["source"]["format"] == "edn"


def test_list_append_anomalies_are_elles(tmp_path):
    workload = check(tmp_path, CALIBRATION / "maelstrom-histories" / "lia_local_2.edn.gz",
                     "-w", "txn-list-append")[1]["checkers"]["workload"]
    assert workload["anomaly_types"] == sorted(maelstrom_results("lia_local_2")["workload"]
                                               ["anomaly-types"])
    assert workload["anomaly_types"] == ["G-single-item", "G0", "incompatible-order", "lost-update"]


def test_lin_kv_failing_keys_are_knossos(tmp_path):
    workload = check(tmp_path, CALIBRATION / "maelstrom-histories" / "linkv_seqkv.edn.gz",
                     "-w", "lin-kv")[1]["checkers"]["workload"]
    assert workload["failures"] == maelstrom_results("linkv_seqkv")["workload"]["failures"]
    assert workload["failures"] == [0, 1]


def test_pn_counter_final_reads_and_range_are_maelstroms(tmp_path):
    workload = check(tmp_path, CALIBRATION / "maelstrom-histories" / "pn_maxmerge.edn.gz",
                     "-w", "pn-counter")[1]["checkers"]["workload"]
    theirs = maelstrom_results("pn_maxmerge")["workload"]
    assert workload["final_reads"] == theirs["final-reads"] == [-175, -258, -242]
    assert workload["acceptable"] == theirs["acceptable"] == [[-623, -623]]


def test_g_set_counts_and_latencies_are_maelstroms(tmp_path):
    workload = check(tmp_path, CALIBRATION / "maelstrom-histories" / "gset_gossip_p.edn.gz",
                     "-w", "g-set")[1]["checkers"]["workload"]
    theirs = maelstrom_results("gset_gossip_p")["workload"]
    for key in ("attempt", "stable", "lost", "never-read", "stale"):
        assert workload[f"{key.replace('-', '_')}_count"] == theirs[f"{key}-count"], key
    assert workload["stable_latencies"] == {str(k): v for k, v in
                                            theirs["stable-latencies"].items()}


# --- Knossos's labelled cas-register histories ------------------------------------------------

def knossos_histories():
    return [(label, name) for label in ("good", "bad") for name in sorted(os.listdir(KNOSSOS / label))]


@pytest.mark.parametrize("label, name", knossos_histories())
def test_knossos_labels_from_initial_zero(tmp_path, label, name):
    code, results = check(tmp_path, KNOSSOS / label / name, "-w", "lin-kv", "--initial", "0")
    workload = results["checkers"]["workload"]
    assert workload["valid"] is (label == "good"), workload["errors"]
    assert workload["key_count"] == 1          # one register, not lin-kv's [key value] tuples
    if label == "good":
        assert code == 0


def test_a_knossos_register_is_judged_on_linearizability_alone(tmp_path):
    """Knossos's verdict on its own data is linearizability; Jepsen's stats checker (every f
    needs an ok) is Maelstrom's: a valid register whose cas never succeeded is valid, as
    Knossos's memstress3-32, -35 and -93 are; a lin-kv run's tuples still get the stats."""
    ops = ["{:process 0, :type :invoke, :f :write, :value 1}",
           "{:process 0, :type :ok, :f :write, :value 1}",
           "{:process 1, :type :invoke, :f :cas, :value [2 3]}",
           "{:process 1, :type :fail, :f :cas, :value [2 3]}"]
    register = tmp_path / "register.edn"
    register.write_text("[" + "\n".join(ops) + "]\n")
    code, results = check(tmp_path / "one", register, "-w", "lin-kv", "--initial", "0")
    assert code == 0 and results["valid"] is True
    assert results["checkers"]["stats"]["by_f"]["cas"]["ok_count"] == 0
    tuples = tmp_path / "tuples.edn"
    tuples.write_text("[" + "\n".join(op.replace(":value 1", ":value [0 1]")
                                        .replace(":value [2 3]", ":value [0 [2 3]]")
                                        for op in ops) + "]\n")
    code, results = check(tmp_path / "two", tuples, "-w", "lin-kv")
    assert code == 1 and results["checkers"]["stats"]["valid"] is False
    assert results["checkers"]["workload"]["valid"] is True


def test_the_command_line(tmp_path):
    """`python3 -m sim check` itself: the summary, Knossos's verdict, the exit status."""
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "check", KNOSSOS / "bad" / "bad-analysis.edn", "-w", "lin-kv",
         "--initial", "0", "--store", tmp_path], cwd=ROOT, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "read 2 by process 21" in proc.stdout and report.INVALID in proc.stdout
    assert (tmp_path / "latest" / "report.html").exists()


def test_the_initial_value_decides(tmp_path):
    """A read of 0 before any write: linearizable from 0, not from nil (Maelstrom's start)."""
    path = tmp_path / "read0.edn"
    path.write_text("[{:process 0, :type :invoke, :f :read, :value nil}\n"
                    " {:process 0, :type :ok, :f :read, :value 0}]\n")
    assert check(tmp_path / "a", path, "-w", "lin-kv")[1]["checkers"]["workload"]["valid"] is False
    assert check(tmp_path / "b", path, "-w", "lin-kv", "--initial", "0")[0] == 0
    assert check(tmp_path / "c", path, "-w", "lin-kv", "--initial", "1")[0] == 1


# --- histories in other shapes, and what cannot be read ----------------------------------------

def test_an_echo_history_as_maelstrom_records_it(tmp_path):
    """Maelstrom's echo client records the whole reply body; the checker compares its echo."""
    lines = ['{:type :invoke, :f :echo, :value "Please echo 3", :process 0, :time 1, :index 0}',
             '{:type :ok, :f :echo, :value {:echo "Please echo %s", :type "echo_ok", :msg_id 1,'
             ' :in_reply_to 1}, :process 0, :time 2, :index 1}']
    good, bad = tmp_path / "good.edn", tmp_path / "bad.edn"
    good.write_text(lines[0] + "\n" + lines[1] % 3 + "\n")
    bad.write_text(lines[0] + "\n" + lines[1] % 4 + "\n")
    assert check(tmp_path / "g", good, "-w", "echo")[0] == 0
    code, results = check(tmp_path / "b", bad, "-w", "echo")
    assert code == 1 and results["checkers"]["workload"]["errors"][0]["received"] == "Please echo 4"


def test_unreadable_input_exits_2_naming_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.edn"
    bad.write_text('{:type :invoke, :f :read}\n{:type :ok, :f :read, :value #{1 2}\n')
    assert check(tmp_path, bad, "-w", "lin-kv")[0] == 2
    assert "line 2, column 1" in capsys.readouterr().err
    assert check(tmp_path, tmp_path / "missing.edn", "-w", "lin-kv")[0] == 2
    assert check(tmp_path, bad)[0] == 2                                  # no -w
    assert check(tmp_path, bad, "-w", "no-such-workload")[0] == 2
    empty_run = tmp_path / "run"
    empty_run.mkdir()
    assert check(tmp_path, empty_run)[0] == 2


def test_an_imported_history_can_be_checked_again(tmp_path, capsys):
    path = CALIBRATION / "maelstrom-histories" / "linkv_seqkv.edn.gz"
    code, first = check(tmp_path, path, "-w", "lin-kv")
    printed = capsys.readouterr().out
    run_dir = Path(first["run_dir"])
    assert recheck.main([str(run_dir)]) == code == 1
    again = json.loads((run_dir / "results.json").read_text())
    assert without_timings(again) == without_timings(first)
    assert summary(without_timings(first)) == summary(without_timings(again))
    assert capsys.readouterr().out == summary(again) and printed == summary(first)


# --- a saved simulator run, checked again -------------------------------------------------------

SHORT = ["--time-limit", "3", "--recovery-wait", "1"]
RUNS = {
    "txn dirty write": sim_runs.argv("txn-rw-register", BROKEN / "txn_dirty_write.py", [
        *SHORT, "--node-count", "1", "--concurrency", "2n", "--rate", "200",
        "--consistency-models", "read-uncommitted"]),
    "lin-kv proxy": sim_runs.argv("lin-kv", NODES / "linkv_proxy.py", [
        *SHORT, "--node-count", "3", "--concurrency", "2n", "--rate", "50", "--nemesis",
        "partition", "--nemesis-interval", "1"]),
    "g-set no replication": sim_runs.argv("g-set", BROKEN / "gset_no_replication.py", [
        *SHORT, "--node-count", "3", "--rate", "30"]),
    "echo extra key": sim_runs.argv("echo", BROKEN / "echo_extra_key.py", [
        *SHORT, "--node-count", "1", "--rate", "20"]),
}


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory):
    return sim_runs.run_all(tmp_path_factory, RUNS)


def without_timings(value):
    """results with every check_ms and the wall time zeroed."""
    if isinstance(value, dict):
        return {k: 0 if k in ("check_ms", "wall_seconds") else without_timings(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def summary(results):
    out = io.StringIO()
    report.print_summary(results, out)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_saved_run_rechecks_to_the_same_results(saved_runs, name, capsys):
    done = saved_runs[name]
    assert done.stdout == summary(done.results)
    code = recheck.main([str(done.dir)])
    again = json.loads((done.dir / "results.json").read_text())
    assert code == done.code
    assert without_timings(again) == without_timings(done.results)
    assert capsys.readouterr().out == summary(again)
    assert summary(without_timings(again)) == summary(without_timings(done.results))
    assert "<h2>Checkers</h2>" in (done.dir / "report.html").read_text()


def test_the_recheck_verdicts_are_the_runs(saved_runs):
    """What the four runs show, so the equality above is not over trivial results."""
    verdicts = {name: done.results["valid"] for name, done in saved_runs.items()}
    assert verdicts == {"txn dirty write": False, "lin-kv proxy": True,
                        "g-set no replication": False, "echo extra key": False}
    assert saved_runs["echo extra key"].results["checkers"]["protocol"]["errors"]
    assert "G0" in saved_runs["txn dirty write"].results["checkers"]["workload"]["anomaly_types"]


def test_the_probe_is_saved_and_used(saved_runs, tmp_path):
    """The dirty write shows only in the probed final state: without probe.json it is gone."""
    run_dir = tmp_path / "copy"
    shutil.copytree(saved_runs["txn dirty write"].dir, run_dir)
    assert json.loads((run_dir / "probe.json").read_text())["final"]
    (run_dir / "probe.json").unlink()
    recheck.main([str(run_dir)])
    blind = json.loads((run_dir / "results.json").read_text())["checkers"]["workload"]
    assert blind["final_state"]["probed"] is False
    assert "G0" not in blind["anomaly_types"]
