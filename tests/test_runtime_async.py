"""The runtime's long-lived machinery (issue 11): timers, requests answered later and their
deadlines, fan-out RPC, init, and shutdown. Each test writes the small node it talks to.

No test asserts a duration: waits are for something to happen (10 s limit), and timer
order is the event loop's, which orders callbacks by their scheduled times."""
import contextlib
import json
import textwrap
import time

from transcript import ROOT, Session, run

PRELUDE = f"""
import asyncio, sys
sys.path.insert(0, {ROOT!r})
from maelstrom_node import Node, RPCError, require

def tell(**body):                 # a message the test sees (a client destination)
    node.send("c9", {{"type": "note", **body}})
"""


def node_file(tmp_path, code):
    path = tmp_path / "node.py"
    path.write_text(PRELUDE + textwrap.dedent(code) + "\nnode.run()\n")
    return str(path)


def init(node_id="n1"):
    return {"src": "c0", "dest": node_id, "body": {
        "type": "init", "msg_id": 1, "node_id": node_id, "node_ids": ["n0", "n1", "n2"]}}


def req(msg_id, type_, **fields):
    body = {"type": type_, **fields}
    if msg_id is not None:
        body["msg_id"] = msg_id
    return {"src": "c1", "dest": "n1", "body": body}


def answer(request, **body):
    """A peer's reply to a request the node sent."""
    return {"src": request["dest"], "dest": request["src"],
            "body": {"in_reply_to": request["body"]["msg_id"], **body}}


@contextlib.contextmanager
def live(path, initialise=True):
    """The node as a live process (initialised as n1 unless told not to); killed after."""
    session = Session([path])
    try:
        if initialise:
            session.send(init())
            assert session.expect_json()["body"]["type"] == "init_ok"
        yield session
    finally:
        session.kill()


def ask(session, msg_id, type_, **fields):
    session.send(req(msg_id, type_, **fields))
    return session.expect_json()["body"]


def wait_until(predicate, what):
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def ask_until(session, type_, predicate):
    """Send `type_` requests until the reply satisfies predicate; return that reply."""
    replies = []
    wait_until(lambda: predicate(replies.append(ask(session, len(replies) + 100, type_))
                                 or replies[-1]), f"a {type_} reply that passes")
    return replies[-1]


# --- timers -------------------------------------------------------------------------------

def test_every_keeps_ticking_while_an_async_run_waits_on_a_silent_peer(tmp_path):
    # the heartbeat around an RPC to a cut-off peer: each run waits a minute for a reply
    path = node_file(tmp_path, """
        node = Node()

        async def heartbeat():
            try:
                await node.rpc("n2", {"type": "heartbeat"}, timeout=60)
            except RPCError:
                pass

        node.every(0.05, heartbeat)
    """)
    with live(path) as session:
        beats = [session.expect_json()["body"] for _ in range(3)]
        assert [b["type"] for b in beats] == ["heartbeat"] * 3
        assert len({b["msg_id"] for b in beats}) == 3      # three runs, none answered


def test_overlap_false_skips_ticks_while_the_previous_run_is_going(tmp_path):
    path = node_file(tmp_path, """
        node = Node()
        runs = [0]

        async def replicate():
            runs[0] += 1
            await node.rpc("n2", {"type": "append"}, timeout=60)

        timer = node.every(0.02, replicate, overlap=False)

        @node.on("state")
        def state(msg):
            return {"type": "state_ok", "runs": runs[0], "skipped": timer.skipped}
    """)
    with live(path) as session:
        first = session.expect_json()
        assert first["body"]["type"] == "append"
        state = ask_until(session, "state", lambda s: s["skipped"] >= 3)
        assert state["runs"] == 1                           # still the first run, waiting
        session.send(answer(first, type="append_ok"))
        assert session.expect_json()["body"]["type"] == "append"   # the next tick runs again


def test_periodic_ticks_stay_on_their_grid_when_a_run_overruns(tmp_path):
    # each run blocks the loop for 1.5 periods: a late tick runs once, the ones it covered
    # are skipped, and the grid never shifts
    path = node_file(tmp_path, """
        import time
        node = Node()
        dues = []

        def busy():
            dues.append(timer.due)
            time.sleep(0.03)

        timer = node.every(0.02, busy)

        @node.on("state")
        def state(msg):
            return {"type": "state_ok", "dues": dues[:6]}
    """)
    with live(path) as session:
        dues = ask_until(session, "state", lambda s: len(s["dues"]) == 6)["dues"]
        steps = [(b - a) / 0.02 for a, b in zip(dues, dues[1:])]
        assert all(abs(s - round(s)) < 1e-6 and round(s) >= 1 for s in steps), steps
        assert sum(map(round, steps)) >= 7     # 6 runs of 1.5 periods: ticks were skipped


def test_after_cancel_and_reset(tmp_path):
    path = node_file(tmp_path, """
        node = Node()
        timers = {}

        @node.on("arm")
        def arm(msg):
            for name, delay in [("a", 0.2), ("b", 0.3), ("c", 0.1)]:
                timers[name] = node.after(delay, lambda name=name: tell(name=name))
            timers["c"].cancel()            # would have fired first
            timers["a"].reset(0.4)          # now due after b
            return {"type": "arm_ok"}

        @node.on("again")
        def again(msg):
            timers["b"].reset()             # a fired one-shot timer can be re-armed
            return {"type": "again_ok"}
    """)
    with live(path) as session:
        assert ask(session, 2, "arm")["type"] == "arm_ok"
        assert [session.expect_json()["body"]["name"] for _ in range(2)] == ["b", "a"]
        assert ask(session, 3, "again")["type"] == "again_ok"
        assert session.expect_json()["body"] == {"type": "note", "name": "b"}
        code, rest = session.close()
        assert (code, rest) == (0, [])


def test_timers_made_before_init_start_after_it_and_jitter_spreads_them(tmp_path):
    path = node_file(tmp_path, """
        node = Node()
        node.after(0.01, lambda: tell(name="first"))

        @node.on("jitter")
        def jitter(msg):
            now = asyncio.get_running_loop().time()
            timers = [node.after(0.5, print, jitter=0.5) for _ in range(20)]
            timers += [node.every(0.5, print, jitter=0.5) for _ in range(20)]
            offsets = [t.when - now for t in timers]
            for t in timers:
                t.cancel()
            return {"type": "jitter_ok", "offsets": offsets}
    """)
    with live(path) as session:
        assert session.expect_json()["body"] == {"type": "note", "name": "first"}
        offsets = ask(session, 2, "jitter")["offsets"]
        assert all(0.5 <= o <= 1.0 for o in offsets) and len(set(offsets)) > 30
        code, rest = session.close()
        assert (code, rest) == (0, [])        # cancelled timers never ran


# --- requests answered later ----------------------------------------------------------------

def test_kept_requests_are_answered_later_from_a_timer(tmp_path):
    path = node_file(tmp_path, """
        node = Node()
        kept = []

        @node.on("write")
        def write(msg):
            kept.append(node.defer(msg))            # answered when "committed"

        @node.on("commit")
        def commit(msg):
            node.after(0.01, answer_all)
            return {"type": "commit_ok"}

        def answer_all():
            first, second, third = kept
            first.reply({"type": "write_ok"})
            first.reply({"type": "write_ok", "again": True})     # answered once only
            second.fail(RPCError.abort("lost leadership"))
            node.reply_error(third.msg, RPCError.temporarily_unavailable("not the leader"))
            third.reply({"type": "write_ok"})                    # already answered
    """)
    with live(path) as session:
        for msg_id in (2, 3, 4):
            session.send(req(msg_id, "write"))
        assert ask(session, 5, "commit")["type"] == "commit_ok"
        assert [session.expect_json()["body"] for _ in range(3)] == [
            {"type": "write_ok", "in_reply_to": 2},
            {"type": "error", "code": 14, "text": "lost leadership", "in_reply_to": 3},
            {"type": "error", "code": 11, "text": "not the leader", "in_reply_to": 4}]
        code, rest = session.close()
        assert (code, rest) == (0, [])


def test_a_request_past_its_deadline_is_dropped_and_its_handler_cancelled(tmp_path):
    path = node_file(tmp_path, """
        node = Node(request_timeout=0.3)
        kept = []

        @node.on("hold")
        def hold(msg):
            kept.append(node.defer(msg))

        @node.on("slow")
        async def slow(msg):
            await node.rpc("n2", {"type": "ping"}, timeout=60)
            return {"type": "slow_ok"}

        @node.on("release")
        def release(msg):
            for d in kept:
                d.reply({"type": "hold_ok"})
                node.reply(d.msg, {"type": "hold_ok"})
            return {"type": "release_ok", "expired": [d.expired for d in kept],
                    "pending": len(node._pending), "open": len(node._open)}
    """)
    with live(path) as session:
        session.send(req(2, "hold"))
        session.send(req(3, "slow"))
        ping = session.expect_json()
        assert ping["body"]["type"] == "ping"
        wait_until(lambda: "dropped 'slow'" in "".join(session.stderr)
                   and "dropped 'hold'" in "".join(session.stderr), "both requests dropped")
        assert ask(session, 4, "release") == {"type": "release_ok", "expired": [True],
                                             "pending": 0, "open": 0, "in_reply_to": 4}
        session.send(answer(ping, type="ping_ok"))          # too late: dropped quietly
        code, rest = session.close()
        assert (code, rest) == (0, [])
        assert "Traceback" not in "".join(session.stderr)


def test_a_reply_is_acted_on_before_the_next_message_is_handled(tmp_path):
    path = node_file(tmp_path, """
        node = Node()
        seen = {}

        @node.on("fetch")
        async def fetch(msg):
            seen.update(await node.rpc("n2", {"type": "get"}, timeout=60))

        @node.on("show")
        def show(msg):
            return {"type": "show_ok", "value": seen.get("value")}
    """)
    with live(path) as session:
        session.send(req(None, "fetch"))
        get = session.expect_json()
        both = [answer(get, type="get_ok", value=5), req(2, "show")]
        session.send("\n".join(json.dumps(m) for m in both))     # one write: one chunk
        assert session.expect_json()["body"] == {"type": "show_ok", "value": 5, "in_reply_to": 2}


# --- fan-out ---------------------------------------------------------------------------------

FAN_NODE = """
    node = Node()

    @node.on("fan")
    async def fan(msg):
        body = msg["body"]
        accept = (lambda reply: reply["granted"]) if body.get("votes") else None
        replies = await node.rpc_quorum(["n0", "n2", "n3"], {"type": "ping"},
                                        need=body.get("need"), timeout=body["timeout"],
                                        accept=accept)
        return {"type": "fan_ok", "from": sorted(replies), "pending": len(node._pending)}
"""


def fan_out(session, msg_id, **fields):
    session.send(req(msg_id, "fan", **fields))
    pings = {}
    while len(pings) < 3:
        ping = session.expect_json()
        assert ping["body"]["type"] == "ping"
        pings[ping["dest"]] = ping
    return pings


def test_rpc_quorum_returns_once_enough_replies_arrive(tmp_path):
    with live(node_file(tmp_path, FAN_NODE)) as session:
        pings = fan_out(session, 2, need=2, timeout=60)
        session.send(answer(pings["n2"], type="error", code=11, text="busy"))   # not counted
        session.send(answer(pings["n0"], type="pong"))
        session.send(answer(pings["n0"], type="pong"))      # a duplicate counts once
        session.send(answer(pings["n3"], type="pong"))
        assert session.expect_json()["body"] == {"type": "fan_ok", "from": ["n0", "n3"],
                                                 "pending": 0, "in_reply_to": 2}
        pings = fan_out(session, 3, need=2, timeout=60, votes=True)
        session.send(answer(pings["n0"], type="vote", granted=False))
        session.send(answer(pings["n2"], type="vote", granted=True))
        session.send(answer(pings["n3"], type="vote", granted=True))
        assert session.expect_json()["body"]["from"] == ["n0", "n2", "n3"]


def test_rpc_quorum_returns_what_it_has_at_the_timeout(tmp_path):
    with live(node_file(tmp_path, FAN_NODE)) as session:
        pings = fan_out(session, 2, timeout=0.3)            # need: all three
        session.send(answer(pings["n2"], type="pong"))
        assert session.expect_json()["body"] == {"type": "fan_ok", "from": ["n2"],
                                                 "pending": 0, "in_reply_to": 2}


# --- init --------------------------------------------------------------------------------------

INIT_NODE = """
    node = Node()
    inits = []

    @node.on_init
    def count():
        inits.append(node.node_id)

    @node.on("state")
    def state(msg):
        return {"type": "state_ok", "inits": inits}
"""


def test_a_request_before_init_is_held_and_a_second_init_changes_nothing(tmp_path):
    second = init("n2")
    second["body"]["msg_id"] = 3
    result = run([node_file(tmp_path, INIT_NODE)], [req(2, "state"), init(), second,
                                                   req(4, "state")])
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout] == [
        {"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1}},
        {"src": "n1", "dest": "c1", "body": {"type": "state_ok", "inits": ["n1"], "in_reply_to": 2}},
        {"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 3}},
        {"src": "n1", "dest": "c1", "body": {"type": "state_ok", "inits": ["n1"], "in_reply_to": 4}},
    ]


def test_a_request_during_an_async_init_hook_waits_for_init_ok(tmp_path):
    path = node_file(tmp_path, """
        node = Node()
        loaded = {}

        @node.on_init
        async def load():
            loaded.update((await node.rpc("lin-kv", {"type": "read", "key": "k"}, timeout=60)))

        @node.on("get")
        def get(msg):
            return {"type": "get_ok", "value": loaded["value"]}
    """)
    with live(path, initialise=False) as session:
        session.send(init())
        read = session.expect_json()
        assert read["body"]["type"] == "read"
        session.send(req(2, "get"))                          # before init_ok
        session.send(answer(read, type="read_ok", value=7))
        assert session.expect_json()["body"] == {"type": "init_ok", "in_reply_to": 1}
        assert session.expect_json()["body"] == {"type": "get_ok", "value": 7, "in_reply_to": 2}


# --- shutdown ---------------------------------------------------------------------------------

def test_end_of_input_answers_open_requests_then_cancels_every_task(tmp_path):
    path = node_file(tmp_path, """
        node = Node()

        async def forever():
            try:
                while True:
                    await asyncio.sleep(0.01)
            finally:
                print("background loop cancelled")      # stray prints go to stderr

        @node.on_init
        def begin():
            node.spawn(forever())

        node.every(0.01, lambda: None)

        @node.on("hold")
        def hold(msg):
            kept = node.defer(msg)
            node.after(0.2, lambda: kept.reply({"type": "hold_ok"}))
    """)
    # without cancellation run() would sit out a 30 s grace: run() gives up after 10 s
    result = run([path], [init(), req(2, "hold")])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout[-1])["body"] == {"type": "hold_ok", "in_reply_to": 2}
    assert "background loop cancelled" in result.stderr
    assert "Traceback" not in result.stderr
