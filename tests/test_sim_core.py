"""Simulator core units: network accounting and partitions, services, nemesis grudges,
checkers, command-line parsing."""

import asyncio
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from sim.checkers import stats
from sim.checkers.counter import acceptable_ranges
from sim.cli import UsageError, parse_args
from sim.history import History
from sim.nemesis import grudge_for
from sim.runner import Run
from sim.net import LatencyModel, Net, NetError
from sim.services import LinKV, LinTSO, LwwKV, SeqKV
from sim.workloads.base import ClientError, Timeout, Workload

ROOT = Path(__file__).resolve().parent.parent


# --- network -----------------------------------------------------------------------------

class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop on a simulated clock: time stands still while callbacks are ready and
    jumps to the next timer when none is, so a sleep of 5 ms against a 30 ms latency is
    exactly that however loaded the machine is. (It reads asyncio's own queues, _ready and
    _scheduled, which every Python from 3.10 has.)"""

    def __init__(self):
        super().__init__()
        self.now = 0.0

    def time(self):
        return self.now

    def _run_once(self):
        if not self._ready and self._scheduled:
            self.now = max(self.now, self._scheduled[0].when())
        super()._run_once()


def run_net(scenario, latency_ms=0, dist="constant"):
    """Run scenario(net, inbox) on a virtual clock; inbox[dest] collects (src, body)."""
    async def main():
        loop = asyncio.get_running_loop()
        net = Net(loop, LatencyModel(latency_ms, dist, random.Random(1)), loop.time)
        inbox = {}
        for node in ("n0", "n1", "n2", "c1", "seq-kv"):
            net.add(node, lambda src, body, raw, node=node: inbox.setdefault(node, []).append(
                (src, body)))
        await scenario(net, inbox)
        return net, inbox
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def test_the_virtual_clock_moves_only_by_the_sleeps():
    async def scenario(net, inbox):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        net.send("n0", "n1", {"type": "a"})
        await asyncio.sleep(0.005)
        assert loop.time() - t0 == pytest.approx(0.005) and "n1" not in inbox
        await asyncio.sleep(0.02)
        assert loop.time() - t0 == pytest.approx(0.025) and len(inbox["n1"]) == 1
    run_net(scenario, latency_ms=20)


def test_client_and_server_messages_are_counted_apart():
    async def scenario(net, inbox):
        net.send("c1", "n0", {"type": "echo"})
        net.send("n0", "c1", {"type": "echo_ok"})
        net.send("n0", "n1", {"type": "gossip"})
        net.send("n0", "seq-kv", {"type": "read"})
        await asyncio.sleep(0.01)
    net, inbox = run_net(scenario)
    snap = net.snapshot()
    assert snap["clients"]["send_count"] == 2
    assert snap["servers"]["send_count"] == 2
    assert snap["all"]["send_count"] == 4
    assert snap["all"]["recv_count"] == 4
    assert [b["type"] for _, b in inbox["n1"]] == ["gossip"]


def test_a_partitioned_message_is_counted_as_sent_but_dropped_on_receipt():
    async def scenario(net, inbox):
        net.partition({"n1": ["n0"], "n0": ["n1"]})
        net.send("n0", "n1", {"type": "gossip"})
        net.send("n2", "n1", {"type": "gossip"})
        net.send("n0", "seq-kv", {"type": "read"})     # services are never cut off
        await asyncio.sleep(0.01)
        net.heal()
        net.send("n0", "n1", {"type": "after-heal"})
        await asyncio.sleep(0.01)
    net, inbox = run_net(scenario)
    assert [(s, b["type"]) for s, b in inbox["n1"]] == [("n2", "gossip"), ("n0", "after-heal")]
    assert net.snapshot()["servers"] == {"send_count": 4, "recv_count": 3, "msg_count": 4}


def test_a_queued_message_is_dropped_if_a_partition_starts_before_it_is_taken():
    async def scenario(net, inbox):
        net.send("n2", "n1", {"type": "first"})     # n1 waits for this one's deadline
        await asyncio.sleep(0.002)
        net.send("n0", "n1", {"type": "second"})    # queued behind it
        net.partition({"n1": ["n0"]})
        await asyncio.sleep(0.06)
    net, inbox = run_net(scenario, latency_ms=20)
    assert [b["type"] for _, b in inbox["n1"]] == ["first"]
    assert net.snapshot()["servers"]["recv_count"] == 1


def test_a_node_waiting_for_a_slow_message_receives_client_requests_after_it():
    async def scenario(net, inbox):
        net.send("n0", "n1", {"type": "slow"})
        await asyncio.sleep(0.005)
        net.send("c1", "n1", {"type": "request"})
        await asyncio.sleep(0.005)
        assert "n1" not in inbox                    # blocked behind the slow message
        await asyncio.sleep(0.06)
    _, inbox = run_net(scenario, latency_ms=30)
    assert [b["type"] for _, b in inbox["n1"]] == ["slow", "request"]


def test_latency_applies_to_servers_only_and_delivery_follows_deadlines():
    async def scenario(net, inbox):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        net.send("n0", "n1", {"type": "a"})
        net.send("c1", "n1", {"type": "client"})
        net.send("n2", "n1", {"type": "b"})
        await asyncio.sleep(0.005)
        assert [b["type"] for _, b in inbox["n1"]] == ["client"]
        await asyncio.sleep(0.1)
        assert loop.time() - t0 >= 0.05
    _, inbox = run_net(scenario, latency_ms=50)
    assert [b["type"] for _, b in inbox["n1"]] == ["client", "a", "b"]


def test_unknown_destination_is_a_net_error():
    async def scenario(net, inbox):
        with pytest.raises(NetError, match="Invalid dest"):
            net.send("n0", "c99", {"type": "echo_ok"})
    run_net(scenario)


def test_latency_distributions():
    rng = random.Random(7)
    assert {LatencyModel(100, "constant", rng).sample_ms() for _ in range(50)} == {100}
    uniform = [LatencyModel(100, "uniform", rng).sample_ms() for _ in range(5000)]
    assert min(uniform) >= 0 and max(uniform) < 200 and 90 < sum(uniform) / 5000 < 110
    assert all(isinstance(x, int) for x in uniform)
    exp = [LatencyModel(100, "exponential", rng).sample_ms() for _ in range(5000)]
    assert 85 < sum(exp) / 5000 < 115 and max(exp) > 300


# --- services ----------------------------------------------------------------------------

def test_lin_kv_read_write_cas_and_error_codes():
    kv = LinKV(random.Random(1))
    assert kv.handle("n0", {"type": "read", "key": "k"})["code"] == 20
    assert kv.handle("n0", {"type": "cas", "key": "k", "from": 1, "to": 2})["code"] == 20
    assert kv.handle("n0", {"type": "cas", "key": "k", "from": 1, "to": 2,
                            "create_if_not_exists": True})["type"] == "cas_ok"
    assert kv.handle("n1", {"type": "read", "key": "k"}) == {"type": "read_ok", "value": 2}
    assert kv.handle("n1", {"type": "cas", "key": "k", "from": 1, "to": 3})["code"] == 22
    assert kv.handle("n1", {"type": "cas", "key": "k", "from": 2.0, "to": 3})["code"] == 22
    assert kv.handle("n1", {"type": "write", "key": "k", "value": [1]})["type"] == "write_ok"
    assert kv.handle("n0", {"type": "read", "key": "k"})["value"] == [1]


def test_seq_kv_reads_can_be_stale_but_never_go_backwards_for_a_caller():
    kv = SeqKV(random.Random(3))
    for v in range(1, 21):
        kv.handle("writer", {"type": "write", "key": "x", "value": v})
    seen = [kv.handle("reader", {"type": "read", "key": "x"}).get("value", 0)
            for _ in range(40)]
    assert seen == sorted(seen)                 # monotonic per caller
    assert seen[0] < 20                         # the first read was stale (seeded)
    assert kv.handle("writer", {"type": "read", "key": "x"})["value"] == 20


def test_seq_kv_a_reader_sees_states_from_its_last_one_up_to_the_newest():
    kv = SeqKV(random.Random(7))
    for v in range(1, 21):
        kv.handle("writer", {"type": "write", "key": "x", "value": v})
    for reader in ("r1", "r2", "r3", "r4"):
        seen = [kv.handle(reader, {"type": "read", "key": "x"}).get("value", 0) for _ in range(300)]
        assert seen == sorted(seen) and seen[-1] == 20     # monotonic, reaches the newest
    firsts = [kv.handle(f"new{i}", {"type": "read", "key": "x"}).get("value", 0) for i in range(50)]
    assert min(firsts) < 20 and 20 in firsts               # a first read: any state, newest included


def test_services_ignore_request_types_they_do_not_know():
    for service in (LinKV, SeqKV, LwwKV, LinTSO):
        assert service(random.Random(1)).handle("n0", {"type": "frobnicate", "key": "k"}) is None


def test_seq_kv_a_write_moves_the_caller_to_the_newest_state():
    kv = SeqKV(random.Random(5))
    for v in range(1, 11):
        kv.handle("a", {"type": "write", "key": "x", "value": v})
    kv.handle("b", {"type": "write", "key": "y", "value": "fresh"})
    assert all(kv.handle("b", {"type": "read", "key": "x"})["value"] == 10 for _ in range(20))


def test_seq_kv_stale_cas_fails_with_precondition_failed():
    kv = SeqKV(random.Random(2))
    kv.handle("a", {"type": "write", "key": "x", "value": 0})
    for v in range(1, 30):
        kv.handle("a", {"type": "cas", "key": "x", "from": v - 1, "to": v})
    codes = {kv.handle(f"b{i}", {"type": "cas", "key": "x", "from": 3, "to": 99}).get("code")
             for i in range(30)}
    assert codes == {22}


def test_seq_kv_keeps_only_32_states():
    kv = SeqKV(random.Random(4))
    for v in range(100):
        kv.handle("w", {"type": "write", "key": "x", "value": v})
    assert len(kv.states) == 32
    assert all(kv.handle(f"r{i}", {"type": "read", "key": "x"})["value"] >= 68 for i in range(50))


def test_lww_kv_cas_has_no_create_and_fails_on_mismatch():
    kv = LwwKV(random.Random(1))
    assert kv.handle("n0", {"type": "cas", "key": "k", "from": 1, "to": 2,
                            "create_if_not_exists": True})["code"] == 20
    kv.replicas[0].data["k"] = (0, 5)
    kv.replicas[1].data["k"] = (0, 5)
    assert kv.handle("n0", {"type": "cas", "key": "k", "from": 4, "to": 6})["code"] == 22
    assert kv.handle("n0", {"type": "cas", "key": "k", "from": 5, "to": 6})["type"] == "cas_ok"


def test_lin_tso_counts_up_from_zero():
    tso = LinTSO(random.Random(1))
    assert [tso.handle("n0", {"type": "ts"})["ts"] for _ in range(3)] == [0, 1, 2]


# --- nemesis -----------------------------------------------------------------------------

NODES = [f"n{i}" for i in range(5)]


def reachable(grudge, dest, src):
    return src not in grudge.get(dest, ())


def test_one_isolates_a_single_node():
    g = grudge_for("one", NODES, random.Random(1))
    lone = [n for n in NODES if len(g.get(n, ())) == 4]
    assert len(lone) == 1
    assert all(g[n] == lone for n in NODES if n not in lone)


def test_majority_splits_two_against_three():
    g = grudge_for("majority", NODES, random.Random(2))
    sizes = sorted(len(g[n]) for n in NODES)
    assert sizes == [2, 2, 2, 3, 3]


def test_minority_third_is_empty_for_three_nodes_and_one_of_five():
    assert all(not v for v in grudge_for("minority-third", NODES[:3], random.Random(1)).values())
    g = grudge_for("minority-third", NODES, random.Random(1))
    assert sorted(len(v) for v in g.values()) == [1, 1, 1, 1, 4]


def test_majorities_ring_every_node_sees_a_majority_and_no_two_the_same():
    g = grudge_for("majorities-ring", NODES, random.Random(3))
    seen = [frozenset(n for n in NODES if reachable(g, d, n)) for d in NODES]
    assert all(len(s) == 3 for s in seen)
    assert len(set(seen)) == 5


def test_majorities_ring_above_five_nodes_is_stochastic_and_symmetric():
    nodes = [f"n{i}" for i in range(25)]
    g = grudge_for("majorities-ring", nodes, random.Random(3))
    seen = {d: frozenset(n for n in nodes if reachable(g, d, n)) for d in nodes}
    assert all(13 <= len(s) < 25 for s in seen.values())          # a majority, never everyone
    assert all(d in seen[s] for d in nodes for s in seen[d])        # links go both ways
    assert len(set(seen.values())) > 1


# --- checkers ----------------------------------------------------------------------------

def op(type_, f, value=None, process=0, final=False):
    d = {"type": type_, "f": f, "value": value, "process": process}
    if final:
        d["final"] = True
    return d


def test_stats_and_availability():
    h = [op("invoke", "add", 1), op("ok", "add", 1), op("invoke", "read"), op("info", "read"),
         {"type": "info", "f": "start-partition", "value": "one", "process": "nemesis"},
         op("invoke", "read", process=1), op("fail", "read", process=1)]
    s = stats.stats_check(History(h))
    assert s["count"] == 3 and s["ok_count"] == 1 and s["info_count"] == 1
    assert s["by_f"]["read"]["valid"] is False and s["valid"] is False
    assert stats.stats_check(History(h), exempt={"read"})["valid"] is True
    a = stats.availability_check(History(h), "total")
    assert a["ok_fraction"] == pytest.approx(1 / 3) and a["valid"] is False
    assert stats.availability_check(History(h), 0.3)["valid"] is True
    assert stats.availability_check(History(h), None)["valid"] is True


def test_net_checker_divides_by_invoked_client_ops():
    snap = {"all": {"send_count": 100, "recv_count": 100, "msg_count": 100},
            "clients": {"send_count": 100, "recv_count": 100, "msg_count": 100},
            "servers": {"send_count": 0, "recv_count": 0, "msg_count": 0}}
    h = [op("invoke", "echo"), op("ok", "echo")] * 49
    n = stats.net_check(snap, History(h))
    assert n["all"]["msgs_per_op"] == pytest.approx(2.0408, abs=1e-4)
    assert n["servers"]["msgs_per_op"] == 0.0


def test_g_counter_acceptable_sums_allow_any_subset_of_indeterminate_adds():
    assert acceptable_ranges(10, []) == [[10, 10]]
    assert acceptable_ranges(10, [2, 3]) == [[10, 10], [12, 13], [15, 15]]
    assert acceptable_ranges(10, [1, 1, 0]) == [[10, 12]]


class Raises(Workload):
    """A workload whose every op gets the error code it carries as its value."""
    idempotent = frozenset({"read"})

    async def invoke(self, client, op, process):
        raise ClientError(op["value"], "no")


def outcomes(workload, codes, f="write"):
    """The completion type the core records for each error code, by code."""
    run = types.SimpleNamespace(workload=workload, exceptions=[])
    done = {c: asyncio.run(Run.invoke(run, None, {"f": f, "value": c}, 0))["type"] for c in codes}
    assert run.exceptions == []
    return done


def test_only_maelstroms_registered_definite_codes_make_an_op_fail():
    definite = {1, 10, 11, 12, 14, 20, 21, 22, 30}
    writes = outcomes(Raises(None, None), range(1100))
    assert {c for c, t in writes.items() if t == "fail"} == definite
    assert {t for c, t in writes.items() if c not in definite} == {"info"}
    reads = outcomes(Raises(None, None), [0, 5], f="read")
    assert set(reads.values()) == {"fail"}                         # idempotent: never info
    assert not Timeout().definite


def test_a_client_without_error_translation_records_every_error_as_info():
    """Maelstrom's g-set, pn-counter and g-counter clients let every error through to Jepsen,
    which records the op as info, definite code or not, read or not."""
    untranslated = Raises(None, None)
    untranslated.definite_errors = False
    codes = [0, 1, 10, 11, 12, 13, 14, 20, 21, 22, 30, 1000]
    for f in ("add", "read"):
        assert set(outcomes(untranslated, codes, f).values()) == {"info"}


def test_final_ops_start_in_a_random_worker_order_as_jepsens_each_thread():
    orders = set()
    for seed in range(30):
        run = Run(parse_args(["-w", "g-set", "--bin", "x", "--seed", str(seed)]))
        run.processes = list(range(5))
        orders.add(tuple(run.final_order()))
    assert {tuple(sorted(order)) for order in orders} == {(0, 1, 2, 3, 4)}
    assert len(orders) > 20 and {order[-1] for order in orders} == {0, 1, 2, 3, 4}


# --- command line ------------------------------------------------------------------------

def test_defaults_are_maelstroms():
    o = parse_args(["-w", "echo", "--bin", "x"])
    assert (o.rate, o.time_limit, o.concurrency, o.latency, o.latency_dist) == (5.0, 60.0, 5, 0.0,
                                                                                "constant")
    assert (o.nemesis, o.nemesis_interval, o.topology) == (set(), 10.0, "grid")
    assert o.consistency_models == ["strict-serializable"] and o.availability is None
    assert o.node_ids == ["n1", "n2", "n3", "n4", "n5"]      # Jepsen's default nodes
    assert parse_args(["-w", "echo", "--bin", "x", "--node-count", "2"]).node_ids == ["n0", "n1"]


def test_concurrency_in_nodes_and_node_args():
    o = parse_args(["-w", "kafka", "--bin", "x", "--node-count", "2", "--concurrency", "2n",
                    "extra", "--", "--flag"])
    assert o.concurrency == 4 and o.bin_args == ["extra", "--flag"]
    assert parse_args(["-w", "echo", "--bin", "x", "--availability", "0.99"]).availability == 0.99
    assert parse_args(["-w", "echo", "--bin", "x", "--rate", "1", "--rate", "7"]).rate == 7.0


@pytest.mark.parametrize("args", [
    ["-w", "echo"],
    ["-w", "nope", "--bin", "x"],
    ["-w", "echo", "--bin", "x", "--rate", "fast"],
    ["-w", "echo", "--bin", "x", "--latency-dist", "normal"],
    ["-w", "echo", "--bin", "x", "--nemesis", "kill"],
    ["-w", "echo", "--bin", "x", "--frobnicate"],
    ["-w", "echo", "--bin", "x", "--concurrency", "0"],
])
def test_bad_arguments_are_usage_errors(args):
    with pytest.raises(UsageError):
        parse_args(args)


def test_bad_flag_exits_2_with_one_line():
    r = subprocess.run([sys.executable, "-m", "sim", "test", "-w", "echo", "--bin", "x",
                        "--node-count", "zero"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_missing_binary_exits_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "sim", "test", "-w", "echo", "--bin",
                        str(tmp_path / "missing.py"), "--store", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_node_that_exits_before_init_exits_2_quickly(tmp_path):
    node = tmp_path / "exits.py"
    node.write_text("#!/usr/bin/env python3\nimport sys\nprint('boom', file=sys.stderr)\n"
                    "sys.exit(3)\n")
    node.chmod(0o755)
    r = subprocess.run([sys.executable, "-m", "sim", "test", "-w", "echo", "--bin", str(node),
                        "--node-count", "1", "--store", str(tmp_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=8)
    assert r.returncode == 2
    assert "exited before answering init" in r.stderr and "code 3" in r.stderr
    assert (tmp_path / "latest" / "node-logs" / "n0.log").read_text() == "boom\n"
