"""The lin-kv workload: Jepsen's independent-keys generator, the client's outcomes, the checker's
result, and simulator runs against a correct node and two broken ones."""

import asyncio
import random
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path

import pytest

from sim.check import merged_valid
from sim.cli import parse_args
from sim.history import History
from sim.runner import Run
from sim.workloads.base import ClientError, OptionsError, SchemaError, Timeout, WorkerChoice
from sim.workloads.lin_kv import LinKV
from sim_runs import run_all

ROOT = Path(__file__).resolve().parent.parent


def options(*flags):
    return parse_args(["-w", "lin-kv", "--bin", "x", "--node-count", "3", *flags])


# --- generator ---------------------------------------------------------------------------

class Threads:
    """Worker threads as the runner keeps them: processes, free set, Jepsen's cursor."""

    def __init__(self, concurrency):
        self.processes = list(range(concurrency))
        self.free = set(range(concurrency))
        self.next_thread = 0

    def choice(self):
        return WorkerChoice(frozenset(self.free), self.processes,
                            lambda workers: Run.first_free(self, workers))

    def crash(self, worker):
        self.processes[worker] += len(self.processes)


def generate(workload, threads, count):
    """count ops, each on the worker the workload picks, every worker free again at once."""
    ops = []
    for _ in range(count):
        w = workload.pick_worker(threads.choice())
        ops.append((w, workload.next_op(threads.processes[w], 0)))
    return ops


def test_groups_of_2n_threads_and_only_group_0_reads():
    """Reserve's reader range is threads 0..n-1 whatever the group (Jepsen 0.3.7), so with 4n
    on 3 nodes, threads 0-2 read key 0, 3-5 write or cas key 0, and 6-11 write or cas key 1
    (as Maelstrom's calibration histories show)."""
    workload = LinKV(options("--concurrency", "4n"), random.Random(1))
    ops = generate(workload, Threads(12), 6000)
    assert {w for w, op in ops if op["f"] == "read"} == {0, 1, 2}
    assert {op["value"][0] for w, op in ops if w < 6} == {0}
    assert {op["value"][0] for w, op in ops if w >= 6} == {1}
    per_group = Counter(w // 6 for w, _ in ops)
    assert 0.45 < per_group[0] / len(ops) < 0.55                   # groups drawn evenly
    fs = Counter(op["f"] for _, op in ops)
    assert 0.2 < fs["read"] / len(ops) < 0.3                       # half of group 0's ops
    assert 1.8 < fs["cas"] / fs["write"] < 2.2                     # write 1/3, cas 2/3
    assert {op["value"][1] for _, op in ops if op["f"] == "write"} == set(range(5))
    assert {v for _, op in ops if op["f"] == "cas" for v in op["value"][1]} == set(range(5))
    reads = [op for _, op in ops if op["f"] == "read"]
    assert all(op["value"] == [0, None] for op in reads)


def test_the_fair_cursor_favours_the_first_thread_of_a_range():
    """Jepsen's context hands an op to the first free thread at or after a cursor that moves
    one step per op over all 13 threads: a range {0, 1, 2} gets thread 0 for 11 of 13 cursor
    positions, as thread 0 does 124 of the 147 reads in Maelstrom's linkv_proxy history."""
    threads = Threads(12)
    picks = Counter(Run.first_free(threads, {0, 1, 2}) for _ in range(1300))
    assert picks == {0: 1100, 1: 100, 2: 100}


def test_a_key_retires_when_its_group_has_used_more_than_20_processes():
    """Each info gives a thread a new process, seen by the group's next op: its 6 processes plus
    14 new ones keep the key, the 15th moves the group to the next unused key, and the other
    group stays where it is. Processes that never reached an op are not counted."""
    workload = LinKV(options("--concurrency", "4n"), random.Random(2))
    threads = Threads(12)

    def keys_after_crash(worker):
        threads.crash(worker)
        return {w // 6: op["value"][0] for w, op in generate(workload, threads, 40)}

    generate(workload, threads, 40)
    assert [keys_after_crash(c % 6) for c in range(15)] == [{0: 0, 1: 1}] * 14 + [{0: 2, 1: 1}]
    for _ in range(20):
        threads.crash(6)                                    # no op in between: one new process
    assert [keys_after_crash(7 + c % 5) for c in range(13)] == [{0: 2, 1: 1}] * 13
    assert keys_after_crash(8) == {0: 2, 1: 3}


def test_concurrency_must_be_a_multiple_of_2n():
    LinKV.check_options(options("--concurrency", "2n"))
    for bad in ("1n", "9", "3n"):
        with pytest.raises(OptionsError, match="multiple of 6"):
            LinKV.check_options(options("--concurrency", bad))
    r = subprocess.run([sys.executable, "-m", "sim", "test", "-w", "lin-kv", "--bin", "nowhere",
                        "--node-count", "3"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "multiple of 6" in r.stderr


# --- client ------------------------------------------------------------------------------

class FakeClient:
    def __init__(self, reply=None, error=None):
        self.reply, self.error, self.calls = reply, error, []

    async def call(self, body, reply_type, schema, timeout=5.0):
        self.calls.append((body, reply_type, timeout))
        if self.error:
            raise self.error
        return self.reply


def outcome(op, client, latency="0"):
    """The completion the runner records for op on client (errors mapped as Run.invoke does)."""
    workload = LinKV(options("--concurrency", "2n", "--latency", latency), random.Random(0))
    run = types.SimpleNamespace(workload=workload, exceptions=[])
    return asyncio.run(Run.invoke(run, client, op, 0))


def test_requests_and_the_values_recorded():
    client = FakeClient({"type": "read_ok", "value": None})
    assert outcome({"f": "read", "value": [3, None]}, client) == {"type": "ok", "value": [3, None]}
    assert client.calls == [({"type": "read", "key": 3}, "read_ok", 1.0)]
    client = FakeClient({"type": "cas_ok"})
    done = outcome({"f": "cas", "value": [3, [1, 2]]}, client, latency="250")
    assert done == {"type": "ok", "value": [3, [1, 2]]}
    assert client.calls == [({"type": "cas", "key": 3, "from": 1, "to": 2}, "cas_ok", 2.5)]
    client = FakeClient({"type": "write_ok"})
    assert outcome({"f": "write", "value": [0, 4]}, client)["type"] == "ok"
    assert client.calls[0][0] == {"type": "write", "key": 0, "value": 4}


@pytest.mark.parametrize("f, error, expected", [
    ("read", ClientError(20, "key does not exist"), "fail"),
    ("read", Timeout(), "fail"),                        # reads are idempotent
    ("read", ClientError(13, "crash"), "fail"),
    ("write", Timeout(), "info"),
    ("write", ClientError(11, "no leader"), "fail"),
    ("cas", ClientError(22, "current value 1 is not 2"), "fail"),
    ("cas", ClientError(13, "crash"), "info"),
    ("cas", SchemaError("bad reply"), "info"),
    ("read", SchemaError("bad reply"), "info"),
])
def test_errors_fail_or_are_indefinite_as_maelstroms_client_has_them(f, error, expected):
    value = [0, [1, 2]] if f == "cas" else [0, None if f == "read" else 1]
    assert outcome({"f": f, "value": value}, FakeClient(error=error))["type"] == expected


# --- checker result ----------------------------------------------------------------------

def entries(*events):
    return [{"index": i, "time": i, "type": t, "process": p, "f": f, "value": v}
            for i, (t, p, f, v) in enumerate(events)]


def test_a_violation_is_listed_with_its_key_op_and_explanation():
    h = entries(("invoke", 0, "write", [5, 1]), ("ok", 0, "write", [5, 1]),
                ("invoke", 1, "read", [5, None]), ("ok", 1, "read", [5, 2]),
                ("invoke", 0, "write", [6, 3]), ("ok", 0, "write", [6, 3]))
    result = LinKV.check(History(h), options("--concurrency", "2n"))
    assert result["valid"] is False and result["failures"] == [5]
    (error,) = result["errors"]
    assert error["key"] == 5 and error["op"]["index"] == 3 and error["states"] == [1]
    assert error["explanation"].startswith("key 5: read 2 by process 1")


def test_verdicts_merge_false_over_unknown_over_true():
    assert merged_valid({"a": {"valid": True}, "b": {"valid": "unknown"}}) == "unknown"
    assert merged_valid({"a": {"valid": False}, "b": {"valid": "unknown"}}) is False
    assert merged_valid({"a": {"valid": True}, "b": {"valid": True}}) is True


# --- simulator runs ----------------------------------------------------------------------

NODES = {
    "proxy": ROOT / "tests" / "nodes" / "linkv_proxy.py",
    "local-map": ROOT / "tests" / "broken" / "linkv_local_map.py",
    "seq-kv": ROOT / "tests" / "broken" / "linkv_seqkv_proxy.py",
}


@pytest.fixture(scope="module")
def sim_runs(tmp_path_factory):
    """One 3 s run per node on 3 nodes, all at once; name -> (exit code, results, report)."""
    flags = ["-w", "lin-kv", "--node-count", "3", "--concurrency", "2n", "--time-limit", "3",
             "--rate", "50", "--seed", "7"]
    runs = run_all(tmp_path_factory, {name: [*flags, "--bin", node] for name, node in NODES.items()})
    for done in runs.values():
        assert "could not draw" not in done.stderr, done.stderr[-2000:]
    return {name: (done.code, done.results, (done.dir / "report.html").read_text())
            for name, done in runs.items()}


def test_a_proxy_to_lin_kv_is_linearizable(sim_runs):
    code, results, _ = sim_runs["proxy"]
    workload = results["checkers"]["workload"]
    assert code == 0 and results["valid"] is True, results["errors"]
    assert workload["failures"] == [] and workload["results"]["0"]["ok_ops"] > 20
    assert results["net"]["servers"]["msgs_per_op"] == pytest.approx(2.0, abs=0.05)


@pytest.mark.parametrize("name", ["local-map", "seq-kv"])
def test_broken_nodes_are_not_linearizable_and_the_report_says_where(sim_runs, name):
    code, results, report = sim_runs[name]
    workload = results["checkers"]["workload"]
    assert code == 1 and results["valid"] is False and workload["valid"] is False
    assert workload["failures"] and workload["errors"]
    error = workload["errors"][0]
    assert "cannot be linearized" in error["explanation"]
    assert any(e == f"workload: {error['explanation']}" for e in results["errors"])
    assert f'href="#op-{error["op"]["index"]}"' in report
