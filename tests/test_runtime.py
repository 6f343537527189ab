"""The runtime's dispatch rules, messaging, timers and KV client (issue 2, section 1)."""
import json
import os
import textwrap
import time

import pytest

from fake_services import FakeLinKV, FakeSeqKV
from maelstrom_node import Code, Node, RPCError, is_definite, require, settings
from transcript import ROOT, Session, run

NODE_SOURCE = textwrap.dedent(f"""
    import asyncio, sys
    sys.path.insert(0, {ROOT!r})
    from maelstrom_node import KV, Node, RPCError, require

    node = Node()
    state = {{"count": 0, "ticks": 0}}
    kv = KV(node, sys.argv[1] if len(sys.argv) > 1 else "lin-kv", timeout=0.5)

    @node.on("echo")
    def echo(msg):
        return {{"type": "echo_ok", "echo": require(msg["body"], "echo", object)}}

    @node.on("add")
    def add(msg):
        delta = require(msg["body"], "delta", int)
        state["count"] += delta
        return {{"type": "add_ok"}}

    @node.on("count")
    def count(msg):
        return {{"type": "count_ok", "value": state["count"]}}

    @node.on("boom")
    def boom(msg):
        raise KeyError("kaboom")

    @node.on("refuse")
    async def refuse(msg):
        raise RPCError.abort("not today")

    @node.on("shout")
    def shout(msg):
        print("a stray print")
        print({{"looks": "like json"}})
        return {{"type": "shout_ok"}}

    @node.on("ask")
    async def ask(msg):
        try:
            reply = await node.rpc("n9", {{"type": "ping"}}, timeout=0.3)
        except RPCError as err:
            return {{"type": "ask_ok", "code": int(err.code)}}
        return {{"type": "ask_ok", "reply": reply}}

    @node.on("pending")
    def pending(msg):
        return {{"type": "pending_ok", "value": len(node._pending)}}

    @node.on("slow")
    async def slow(msg):
        await asyncio.sleep(0.3)
        return {{"type": "slow_ok"}}

    @node.on("gossip")
    def gossip(msg):
        node.send_many(node.peers, {{"type": "hello", "from": node.node_id}})

    @node.on("ticks")
    def ticks(msg):
        return {{"type": "ticks_ok", "value": state["ticks"]}}

    def tick():
        state["ticks"] += 1
        if state["ticks"] == 1:
            raise RuntimeError("first tick fails on purpose")

    node.every(0.02, tick)

    @node.on("kv")
    async def kv_op(msg):
        body = msg["body"]
        op = require(body, "op", str)
        try:
            if op == "read":
                value = await kv.read(body["key"], **({{"default": body["default"]}} if "default" in body else {{}}))
            elif op == "write":
                value = await kv.write(body["key"], body["value"])
            else:
                value = await kv.cas(body["key"], body["from"], body["to"], create=body.get("create", False))
        except RPCError as err:
            return {{"type": "kv_ok", "code": int(err.code)}}
        return {{"type": "kv_ok", "value": value}}

    node.run()
""")

INIT = {"src": "c0", "dest": "n1",
        "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n0", "n1", "n2"]}}


@pytest.fixture
def node_path(tmp_path):
    path = tmp_path / "test_node.py"
    path.write_text(NODE_SOURCE)
    return str(path)


def req(msg_id, type_, src="c1", **fields):
    body = {"type": type_, **fields}
    if msg_id is not None:
        body["msg_id"] = msg_id
    return {"src": src, "dest": "n1", "body": body}


def bodies(result):
    return [json.loads(line)["body"] for line in result.stdout]


def test_init_ok_and_reply_envelope(node_path):
    result = run([node_path], [INIT, req(2, "echo", echo="hi")])
    assert result.stdout == [
        '{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}',
        '{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"hi","in_reply_to":2}}',
    ]
    assert result.returncode == 0


def test_malformed_json_and_blank_lines_are_dropped(node_path):
    result = run([node_path], [INIT, "", "   ", "{not json", "42", '{"body":{}}',
                               '{"src":"c1","body":"text"}', b"\xff\xfe\n",
                               req(2, "echo", echo=1)])
    assert [b["type"] for b in bodies(result)] == ["init_ok", "echo_ok"]
    assert "{not json" in result.stderr
    assert result.returncode == 0


def test_request_without_msg_id_gets_no_reply_but_runs(node_path):
    result = run([node_path], [INIT, req(None, "add", delta=5), req(None, "frobnicate"),
                               req(None, "boom"), req(2, "count")])
    assert bodies(result)[1:] == [{"type": "count_ok", "value": 5, "in_reply_to": 2}]


def test_unknown_type_is_error_10(node_path):
    result = run([node_path], [INIT, req(2, "frobnicate"), req(3, None), req(4, ["list"])])
    assert [(b["code"], b["in_reply_to"]) for b in bodies(result)[1:]] == [(10, 2), (10, 3), (10, 4)]


def test_missing_or_mistyped_field_is_error_12_before_side_effects(node_path):
    result = run([node_path], [INIT, req(2, "add"), req(3, "add", delta="7"),
                               req(4, "add", delta=True), req(5, "add", delta=1.5),
                               req(6, "count")])
    assert [b.get("code") for b in bodies(result)[1:5]] == [12, 12, 12, 12]
    assert bodies(result)[5] == {"type": "count_ok", "value": 0, "in_reply_to": 6}


def test_raising_handler_is_error_13_with_traceback(node_path):
    result = run([node_path], [INIT, req(2, "boom"), req(3, "refuse"), req(4, "echo", echo=1)])
    replies = sorted(bodies(result)[1:], key=lambda b: b["in_reply_to"])  # async ones come later
    assert replies[0]["code"] == 13 and "kaboom" in replies[0]["text"]
    assert replies[1] == {"type": "error", "code": 14, "text": "not today", "in_reply_to": 3}
    assert replies[2]["type"] == "echo_ok"
    assert "Traceback" in result.stderr and "KeyError" in result.stderr


def test_stray_print_goes_to_stderr(node_path):
    result = run([node_path], [INIT, req(2, "shout")])
    assert bodies(result)[1] == {"type": "shout_ok", "in_reply_to": 2}
    assert "a stray print" in result.stderr and "a stray print" not in "".join(result.stdout)


def test_rpc_timeout_then_late_reply_is_dropped(node_path):
    session = Session([node_path])
    try:
        session.send(INIT)
        session.expect()
        session.send(req(2, "ask"))
        ping = session.expect_json()
        assert ping["dest"] == "n9" and ping["body"] == {"type": "ping", "msg_id": 1}
        assert session.expect_json()["body"] == {"type": "ask_ok", "code": 0, "in_reply_to": 2}
        session.send({"src": "n9", "dest": "n1", "body": {"type": "pong", "in_reply_to": 1}})
        session.send({"src": "n9", "dest": "n1", "body": {"type": "pong", "in_reply_to": 0}})
        session.send(req(3, "pending"))
        assert session.expect_json()["body"] == {"type": "pending_ok", "value": 0, "in_reply_to": 3}
        code, rest = session.close()
        assert (code, rest) == (0, [])
        assert "crashed" not in "".join(session.stderr)
    finally:
        session.kill()


def test_rpc_returns_reply_and_raises_error_replies(node_path):
    session = Session([node_path])
    try:
        session.send(INIT)
        session.expect()
        session.send(req(2, "ask"))
        msg_id = session.expect_json()["body"]["msg_id"]
        session.send({"src": "n9", "dest": "n1",
                      "body": {"type": "ping_ok", "in_reply_to": msg_id, "x": 1}})
        assert session.expect_json()["body"]["reply"] == {"type": "ping_ok", "in_reply_to": msg_id, "x": 1}
        session.send(req(3, "ask"))
        msg_id = session.expect_json()["body"]["msg_id"]
        session.send({"src": "n9", "dest": "n1", "body": {"type": "error", "in_reply_to": msg_id,
                                                          "code": 22, "text": "nope"}})
        assert session.expect_json()["body"] == {"type": "ask_ok", "code": 22, "in_reply_to": 3}
    finally:
        session.kill()


def test_reply_with_in_reply_to_zero_is_not_a_request(node_path):
    result = run([node_path], [INIT, req(0, "echo_ok", in_reply_to=0), req(2, "echo", echo=0)])
    assert [b["type"] for b in bodies(result)] == ["init_ok", "echo_ok"]


def test_100_kib_line(node_path):
    payload = "x" * (100 * 1024)
    result = run([node_path], [INIT, req(2, "echo", echo=payload)])
    assert bodies(result)[1] == {"type": "echo_ok", "echo": payload, "in_reply_to": 2}


def test_eof_with_handlers_in_flight(node_path):
    result = run([node_path], [INIT] + [req(i, "slow") for i in range(2, 12)])
    assert sorted(b["in_reply_to"] for b in bodies(result)[1:]) == list(range(2, 12))
    assert result.returncode == 0


def test_last_line_without_newline_is_handled(node_path):
    result = run([node_path], [INIT, b'{"src":"c1","dest":"n1","body":{"type":"count","msg_id":2}}'])
    assert bodies(result)[1]["type"] == "count_ok"


def test_timer_survives_exceptions(node_path):
    session = Session([node_path])
    try:
        session.send(INIT)
        session.expect()
        deadline = time.monotonic() + 10
        ticks, msg_id = 0, 1
        while ticks < 3:                 # the first tick raised; later ones still run
            assert time.monotonic() < deadline, "the timer stopped"
            msg_id += 1
            session.send(req(msg_id, "ticks"))
            ticks = session.expect_json()["body"]["value"]
            time.sleep(0.01)
        while "first tick fails on purpose" not in "".join(session.stderr):
            assert time.monotonic() < deadline, "the failing tick was not logged"
            time.sleep(0.01)
    finally:
        session.kill()


def test_send_many(node_path):
    result = run([node_path], [INIT, req(None, "gossip")])
    sent = [json.loads(line) for line in result.stdout[1:]]
    assert sent == [{"src": "n1", "dest": d, "body": {"type": "hello", "from": "n1"}}
                    for d in ("n0", "n2")]


@pytest.mark.parametrize("service", ["lin-kv", "seq-kv"])
def test_kv_client(node_path, service):
    fake = FakeLinKV() if service == "lin-kv" else FakeSeqKV()
    session = Session([node_path, service], {service: fake})

    def kv(msg_id, **fields):
        session.send(req(msg_id, "kv", **fields))
        body = session.expect_json()["body"]
        body.pop("in_reply_to")
        return body

    try:
        session.send(INIT)
        session.expect()
        assert kv(2, op="read", key="k") == {"type": "kv_ok", "code": 20}
        assert kv(3, op="read", key="k", default=0) == {"type": "kv_ok", "value": 0}
        assert kv(4, op="cas", key="k", **{"from": 0, "to": 1}) == {"type": "kv_ok", "code": 20}
        assert kv(5, op="cas", key="k", create=True, **{"from": 0, "to": 1}) == {"type": "kv_ok", "value": None}
        assert kv(6, op="cas", key="k", **{"from": 0, "to": 2}) == {"type": "kv_ok", "code": 22}
        assert kv(7, op="write", key="k", value=[1, 2]) == {"type": "kv_ok", "value": None}
        assert kv(8, op="read", key="k") == {"type": "kv_ok", "value": [1, 2]}
        fake.silent = True
        assert kv(9, op="read", key="k") == {"type": "kv_ok", "code": 0}
        fake.silent = False
        fake.fail_next(11)
        assert kv(10, op="write", key="k", value=3) == {"type": "kv_ok", "code": 11}
        assert fake.requests[3]["body"] == {"type": "cas", "key": "k", "from": 0, "to": 1,
                                            "create_if_not_exists": True, "msg_id": 4}
    finally:
        session.kill()


def test_fake_seq_kv_serves_stale_reads_until_the_caller_writes():
    kv = FakeSeqKV()

    def call(src, **body):
        return kv.handle({"src": src, "dest": "seq-kv", "body": {"msg_id": 1, **body}})["body"]

    assert call("n0", type="write", key="a", value=1)["type"] == "write_ok"
    assert call("n1", type="read", key="a")["code"] == 20          # n1 still sees the start
    assert call("n0", type="read", key="a")["value"] == 1          # the writer sees its write
    assert call("n1", type="write", key="b", value=1)["type"] == "write_ok"
    assert call("n1", type="read", key="a")["value"] == 1          # its own write refreshed it
    assert call("n0", type="read", key="b")["code"] == 20          # n0 is stale again
    assert call("n0", type="write", key="a", value=1)["type"] == "write_ok"  # identical write
    assert call("n0", type="read", key="b")["code"] == 20          # ... does not refresh


def test_registering_a_type_twice_raises():
    r, w = os.pipe()
    try:
        node = Node(infd=r, outfd=w)
        node.on("echo")(lambda msg: None)
        with pytest.raises(ValueError):
            node.on("echo")(lambda msg: None)
        with pytest.raises(ValueError):
            node.on("init")(lambda msg: None)
    finally:
        os.close(r)
        os.close(w)


def test_codes_and_errors():
    assert [c for c in Code if not c.definite] == [Code.TIMEOUT, Code.CRASH]
    assert Code.TXN_CONFLICT.definite and not is_definite(1000) and is_definite(22)
    # as Maelstrom's client: only registered definite codes are definite, whatever their range
    assert [c for c in range(-5, 2000) if is_definite(c)] == [1, 10, 11, 12, 14, 20, 21, 22, 30]
    assert not RPCError(5).definite and not RPCError(999).definite
    err = RPCError(20, "gone")
    assert err.code is Code.KEY_DOES_NOT_EXIST and err.definite
    assert RPCError(1234).code == 1234 and not RPCError(1234).definite
    assert RPCError.txn_conflict().code == 30 and RPCError.timeout().code == 0
    assert RPCError.from_body({"type": "error", "code": "x"}).code == Code.CRASH


def test_require():
    body = {"n": 1, "b": True, "s": "x", "l": [], "f": 1.5}
    assert require(body, "n", int) == 1
    assert require(body, "b", bool) is True
    assert require(body, "f", (int, float)) == 1.5
    assert require(body, "l", object) == []
    for key, kind in [("b", int), ("s", int), ("missing", object), ("f", int)]:
        with pytest.raises(RPCError) as info:
            require(body, key, kind)
        assert info.value.code == Code.MALFORMED_REQUEST


def test_settings():
    defaults = {"stale-ms": 300, "retry-ms": 2500}
    assert settings("B", defaults, [], {}) == defaults
    assert settings("B", defaults, ["--stale-ms", "7", "--other", "1", "x"], {}) == \
        {"stale-ms": 7.0, "retry-ms": 2500}
    env = {"B_STALE_MS": "5", "B_RETRY_MS": "not a number"}
    assert settings("B", defaults, [], env) == {"stale-ms": 5.0, "retry-ms": 2500}
    assert settings("B", defaults, ["--stale-ms", "9"], env)["stale-ms"] == 9.0   # argv wins
