"""A tiny asyncio runtime for Maelstrom nodes (stdlib only, Python >= 3.10).

    node = Node()

    @node.on("echo")
    def echo(msg):                      # sync or async; gets {"src", "dest", "body"}
        return {"type": "echo_ok", "echo": require(msg["body"], "echo", object)}

    node.run()

One event loop owns all node state, so nodes need no locks. stdin is read in
large chunks and split into lines on the loop (no thread hop per line). A plain
function handler runs inline (its exceptions still isolated); an `async def`
handler runs as its own task, so it may `await node.rpc(...)` without blocking
the read loop. Replies are encoded as compact JSON (allow_nan=False) and every
message that is ready in one loop iteration goes out in one write.

Dispatch rules: blank lines are skipped; a line that is not a JSON message is
logged to stderr and dropped; a body with "in_reply_to" is a reply (a late or
unknown one is dropped quietly); an unknown type gets error 10; a handler
raising RPCError gets that error; a missing or mistyped field demanded with
`require` gets 12 (call it before any side effect); any other exception gets 13
and a traceback on stderr. A request without "msg_id" never gets a reply.
Lines are handled in arrival order, and a task awaiting a reply runs (up to its
next await) before the line after that reply is handled.

Init: `init` runs the on_init hooks once and is answered after them; a request
arriving before that (even during async hooks) is held and dispatched, in order,
right after init_ok; a later `init` is answered init_ok and changes nothing.

Requests answered later: `node.defer(msg)` keeps a request open (the handler
returns None) and its Deferred's reply()/fail() answer it from any task. Every
kept request, and the request of every async handler, has a deadline
(`request_timeout`, 5 s after it arrived, as long as Maelstrom's client waits):
past it the request is dropped and logged, its handler task cancelled, and a
late reply not sent.

Timers: `every(period, fn)` and `after(delay, fn)` return a Timer (cancel,
reset, jitter); periodic ticks keep a fixed grid whatever the callback does.

Shutdown: at EOF the node stops reading, keeps its timers running until every
open request is answered or dropped at its deadline, then cancels every timer
and task it started, writes what is left and returns.
"""
import asyncio
import functools
import json
import os
import random
import sys
import traceback
from enum import IntEnum

__all__ = ["Code", "RPCError", "require", "settings", "Node", "Timer", "Deferred", "KV"]


class Code(IntEnum):
    """Every Maelstrom error code. Codes >= 1000 are free for custom use."""
    TIMEOUT = 0
    NODE_NOT_FOUND = 1
    NOT_SUPPORTED = 10
    TEMPORARILY_UNAVAILABLE = 11
    MALFORMED_REQUEST = 12
    CRASH = 13
    ABORT = 14
    KEY_DOES_NOT_EXIST = 20
    KEY_ALREADY_EXISTS = 21
    PRECONDITION_FAILED = 22
    TXN_CONFLICT = 30

    @property
    def definite(self):
        """True when the error promises the operation did not happen."""
        return is_definite(self)


# The codes Maelstrom's client registers as definite (client.clj's error registry).
_DEFINITE = frozenset({1, 10, 11, 12, 14, 20, 21, 22, 30})


def is_definite(code):
    """Definiteness as Maelstrom's client judges it: only the registered definite codes
    (1, 10, 11, 12, 14, 20-22, 30) promise the operation did not happen; 0, 13, codes >= 1000
    and every unregistered code are indefinite."""
    return code in _DEFINITE


class RPCError(Exception):
    """An error reply, raised by `Node.rpc` and raisable by handlers."""

    def __init__(self, code, text=""):
        super().__init__(f"error {int(code)}: {text}")
        try:
            code = Code(code)
        except ValueError:
            pass
        self.code = code
        self.text = text

    @property
    def definite(self):
        return is_definite(self.code)

    def body(self, in_reply_to):
        return {"type": "error", "in_reply_to": in_reply_to,
                "code": int(self.code), "text": self.text}

    @classmethod
    def from_body(cls, body):
        code = body.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = Code.CRASH
        return cls(code, str(body.get("text", "")))

    # Factories for the common cases: RPCError.abort("why"), ...
    @classmethod
    def timeout(cls, text="timed out"):
        return cls(Code.TIMEOUT, text)

    @classmethod
    def not_supported(cls, text="not supported"):
        return cls(Code.NOT_SUPPORTED, text)

    @classmethod
    def temporarily_unavailable(cls, text="temporarily unavailable"):
        return cls(Code.TEMPORARILY_UNAVAILABLE, text)

    @classmethod
    def malformed_request(cls, text="malformed request"):
        return cls(Code.MALFORMED_REQUEST, text)

    @classmethod
    def crash(cls, text="crash"):
        return cls(Code.CRASH, text)

    @classmethod
    def abort(cls, text="aborted"):
        return cls(Code.ABORT, text)

    @classmethod
    def key_does_not_exist(cls, text="key does not exist"):
        return cls(Code.KEY_DOES_NOT_EXIST, text)

    @classmethod
    def precondition_failed(cls, text="precondition failed"):
        return cls(Code.PRECONDITION_FAILED, text)

    @classmethod
    def txn_conflict(cls, text="transaction conflict"):
        return cls(Code.TXN_CONFLICT, text)


def require(body, key, kind):
    """Return body[key] if it is of type `kind` (a type or tuple), else raise error 12.

    bool is not accepted as int; `object` accepts any present value.
    """
    value = body.get(key, _MISSING)
    if value is _MISSING:
        raise RPCError(Code.MALFORMED_REQUEST, f"missing field {key!r}")
    if not isinstance(value, kind) or (isinstance(value, bool) and not _wants_bool(kind)):
        raise RPCError(Code.MALFORMED_REQUEST, f"field {key!r} has the wrong type")
    return value


def settings(prefix, defaults, argv=None, env=None):
    """A node's tunable numbers: {name: value} from `--NAME N` in argv (default
    sys.argv[1:]), else the environment variable PREFIX_NAME (prefix "BROADCAST" and
    name "stale-ms" read BROADCAST_STALE_MS), else `defaults`. Other arguments, and
    values that are not numbers, are ignored."""
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    found = dict(defaults)
    for name in found:
        key = f"{prefix}_{name.upper().replace('-', '_')}"
        if key in env:
            argv = [f"--{name}", env[key], *argv]
    for flag, value in zip(argv, argv[1:]):
        name = flag[2:] if flag.startswith("--") else None
        if name in found:
            try:
                found[name] = float(value)
            except ValueError:
                pass
    return found


def _wants_bool(kind):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return bool in kinds or object in kinds


_MISSING = object()
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_decode = json.JSONDecoder().decode
_READ_SIZE = 1 << 20
_EOF_GRACE = 30.0  # at most this long after stdin closes for open requests without a deadline
_DEFAULT = object()


def log(*args):
    """Print to stderr (the only place logs may go)."""
    print(*args, file=sys.stderr, flush=True)


class Node:
    """A Maelstrom node: handlers, messaging, timers, and the I/O loop.

    `infd`/`outfd` are injectable for tests; by default run() reads fd 0,
    keeps a private duplicate of fd 1 for the protocol, and points fd 1 and
    sys.stdout at stderr so a stray print cannot corrupt the protocol.
    `request_timeout` (seconds, None for none) is how long a request kept for
    later may stay unanswered: Maelstrom's client gives up after 5 s.
    Constructing a Node has no side effects, so node modules can be imported.
    """

    def __init__(self, infd=0, outfd=None, request_timeout=5.0):
        self._in, self._out = infd, outfd
        self.request_timeout = request_timeout
        self.node_id = None
        self.node_ids = []
        self._handlers = {}
        self._async = set()
        self._init_hooks = []
        self._initialised = False
        self._initialising = False
        self._held = []           # requests that arrived before init completed
        self._timers = set()      # every Timer armed or waiting for init
        self._pending = {}        # msg_id of an outgoing request -> fn(reply body)
        self._open = {}           # id(request) -> Deferred, while unanswered
        self._expired = set()     # (src, msg_id) of requests dropped at their deadline
        self._tasks = set()
        self._next_msg_id = 0
        self._outbox = []
        self._flush_scheduled = False
        self._partial = []        # the start of a line still being read
        self._lines = []          # lines read and not yet handled, from self._at on
        self._at = 0
        self._input_done = False
        self._loop = None
        self._eof = None
        self._drained = None      # set once no request is open, after EOF

    # -- registration -------------------------------------------------------

    def on(self, msg_type):
        """Decorator: handle requests of `msg_type`; return the reply body or None."""
        def register(fn):
            if msg_type in self._handlers or msg_type == "init":
                raise ValueError(f"a handler for {msg_type!r} is already registered")
            self._handlers[msg_type] = fn
            if asyncio.iscoroutinefunction(fn):
                self._async.add(msg_type)
            return fn
        return register

    def on_init(self, fn):
        """Decorator: run fn() (sync or async) after node_id is known, before init_ok."""
        self._init_hooks.append(fn)
        return fn

    def every(self, period, fn, jitter=0.0, overlap=True):
        """Call fn() (sync or async) every `period` seconds, starting one period after init;
        return its Timer. See Timer for jitter, overlap and errors."""
        return Timer(self, fn, period, period, jitter, overlap)

    def after(self, delay, fn, jitter=0.0):
        """Call fn() (sync or async) once, `delay` seconds from now (or from init, if called
        before it) plus up to `jitter`; return its Timer."""
        return Timer(self, fn, delay, None, jitter, True)

    @property
    def peers(self):
        """All node ids except this one."""
        return [n for n in self.node_ids if n != self.node_id]

    # -- messaging ----------------------------------------------------------

    def send(self, dest, body):
        """Send a message (fire and forget; no msg_id is added)."""
        self._outbox.append(_encode({"src": self.node_id, "dest": dest, "body": body}))
        self._schedule_flush()

    def send_many(self, dests, body):
        """Send the same body to every node in `dests`, encoding it once."""
        encoded = _encode(body)
        src = _encode(self.node_id)
        for dest in dests:
            self._outbox.append(f'{{"src":{src},"dest":{_encode(dest)},"body":{encoded}}}')
        self._schedule_flush()

    def reply(self, request, body):
        """Reply to a request, now or later from any task. A no-op when the request carried
        no msg_id or was dropped at its deadline."""
        msg_id = request["body"].get("msg_id")
        if msg_id is None:
            return
        if self._expired and _reply_key(request) in self._expired:
            log(f"dropping a late reply to {request['src']} (msg_id {msg_id!r})")
            return
        if self._open:
            kept = self._open.pop(id(request), None)
            if kept is not None:
                kept._close()
        src = self.node_id if self.node_id is not None else request.get("dest")
        self._outbox.append(_encode({"src": src, "dest": request["src"],
                                     "body": {**body, "in_reply_to": msg_id}}))
        self._schedule_flush()

    def reply_error(self, request, error):
        """Reply with an error: an RPCError as it is, any other exception as code 13."""
        if not isinstance(error, RPCError):
            error = RPCError.crash(f"{type(error).__name__}: {error}")
        self.reply(request, {"type": "error", "code": int(error.code), "text": error.text})

    def defer(self, request):
        """Keep a request to answer later: the handler may return None and the returned
        Deferred's reply(body) or fail(error) answers it from anywhere (node.reply works too).
        Past its deadline it is dropped and logged (see Deferred)."""
        kept = self._open.get(id(request)) or self._track(request)
        kept.kept = True
        return kept

    async def rpc(self, dest, body, timeout=1.0):
        """Send a request and return the reply body; raise RPCError on an error reply
        or on timeout (code 0). A reply arriving after the timeout is dropped."""
        fut = self._loop.create_future()
        msg_id = self._request(dest, body, functools.partial(_settle, fut))
        timer = self._loop.call_later(timeout, _settle, fut, None)
        try:
            reply = await fut
        finally:
            timer.cancel()
            self._pending.pop(msg_id, None)
        if reply is None:
            raise RPCError.timeout(f"no reply from {dest} within {timeout}s")
        if reply.get("type") == "error":
            raise RPCError.from_body(reply)
        return reply

    async def rpc_quorum(self, dests, body, need=None, timeout=1.0, accept=None):
        """Send `body` to every node in `dests` at once; return {dest: reply body} of the
        non-error replies received by the time `need` of them (default: all dests) pass
        `accept(reply)` (default: any non-error reply does), every dest has answered, or
        `timeout` seconds have passed - whichever comes first. Error replies and silent
        dests are left out; it never raises RPCError. Replies after it returns are dropped."""
        dests = list(dests)
        need = len(dests) if need is None else need
        replies, answered, accepted = {}, 0, 0
        if need <= 0 or not dests:
            return replies
        done = self._loop.create_future()

        def on_reply(dest, reply):
            nonlocal answered, accepted
            self._pending.pop(reply["in_reply_to"], None)   # a duplicate counts once
            answered += 1
            if reply.get("type") != "error":
                replies[dest] = reply
                try:
                    accepted += bool(accept is None or accept(reply))
                except Exception as exc:     # raised from rpc_quorum, not the read loop
                    if not done.done():
                        done.set_exception(exc)
                    return
            if accepted >= need or answered == len(dests):
                _settle(done, None)

        ids = [self._request(dest, body, functools.partial(on_reply, dest)) for dest in dests]
        timer = self._loop.call_later(timeout, _settle, done, None)
        try:
            await done
        finally:
            timer.cancel()
            for msg_id in ids:
                self._pending.pop(msg_id, None)
        return dict(replies)

    def spawn(self, coro):
        """Run a coroutine as a tracked task whose exception is logged, not lost; tasks
        still running at shutdown are cancelled."""
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def log(self, *args):
        log(*args)

    def _request(self, dest, body, on_reply):
        """Send body with a fresh msg_id; on_reply(reply body) is called for its reply."""
        self._next_msg_id += 1
        msg_id = self._next_msg_id
        self._pending[msg_id] = on_reply
        self.send(dest, {**body, "msg_id": msg_id})
        return msg_id

    # -- running ------------------------------------------------------------

    def run(self):
        """Serve until stdin closes, then finish (see the module docstring)."""
        if self._out is None:
            self._out = _capture_stdout()
        asyncio.run(self._main())

    async def _main(self):
        self._loop = asyncio.get_running_loop()
        self._eof = self._loop.create_future()
        if self._outbox:  # sent before the loop existed
            self._schedule_flush()
        try:
            self._loop.add_reader(self._in, self._on_readable)
        except (PermissionError, OSError):  # a regular file: epoll refuses it
            self.spawn(self._pump_file())
        await self._eof
        await self._drain()
        for timer in list(self._timers):
            timer.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._flush()

    async def _drain(self):
        """Wait until every open request is answered or dropped at its deadline."""
        if self._held:
            log(f"dropping {len(self._held)} messages that arrived before a completed init")
            self._held = []
        self._drained = self._loop.create_future()
        self._check_drained()
        try:
            await asyncio.wait_for(self._drained, _EOF_GRACE)
        except asyncio.TimeoutError:
            log(f"{len(self._open)} requests still open {_EOF_GRACE}s after end of input")

    def _check_drained(self):
        if self._drained is not None and not self._open:
            _settle(self._drained, None)

    def _on_readable(self):
        try:
            chunk = os.read(self._in, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        self._feed(chunk)

    async def _pump_file(self):
        while not self._input_done:
            self._feed(os.read(self._in, _READ_SIZE))
            await asyncio.sleep(0)

    def _feed(self, chunk):
        if not chunk:
            self._close_input()
            return
        if b"\n" not in chunk:
            self._partial.append(chunk)
            return
        if self._partial:
            self._partial.append(chunk)
            chunk = b"".join(self._partial)
        lines = chunk.split(b"\n")
        tail = lines.pop()
        self._partial = [tail] if tail else []
        if self._lines:            # earlier lines still wait behind a woken task
            self._lines.extend(lines)
        else:
            self._lines, self._at = lines, 0
            self._handle_lines()

    def _handle_lines(self):
        """Handle the lines read so far, in order. After a reply some task awaits, that task
        runs (its wake-up is already queued, this call goes after it) before the next line,
        so what it does with the reply precedes every later message."""
        lines, handle = self._lines, self._handle_line
        for i in range(self._at, len(lines)):
            if handle(lines[i]) and i + 1 < len(lines):
                self._at = i + 1
                self._loop.call_soon(self._handle_lines)
                return
        self._lines, self._at = [], 0
        if self._input_done:
            _settle(self._eof, None)

    def _close_input(self):
        if self._input_done:
            return
        self._input_done = True
        try:
            self._loop.remove_reader(self._in)
        except (ValueError, OSError):
            pass
        queued = bool(self._lines)  # then a _handle_lines call is queued and finishes
        if self._partial:           # a last line without a newline
            self._lines.append(b"".join(self._partial))
            self._partial = []
        if not queued:
            self._handle_lines()

    def _handle_line(self, line):
        """Handle one line; True when it was a reply that some request was waiting for."""
        try:
            msg = _decode(line.decode())
            body = msg["body"]
            if type(body) is not dict or type(msg["src"]) is not str:
                raise ValueError("not a message")
        except (ValueError, KeyError, TypeError, RecursionError):
            if line.strip():
                log(f"dropping a line that is not a JSON message: {line[:200]!r}")
            return False
        if "in_reply_to" in body:
            return self._on_reply(body)
        self._dispatch(msg, body)
        return False

    def _on_reply(self, body):
        try:
            on_reply = self._pending.get(body["in_reply_to"])
        except TypeError:  # an unhashable in_reply_to
            return False
        if on_reply is None:
            return False
        on_reply(body)
        return True

    def _dispatch(self, msg, body):
        msg_type = body.get("type")
        if msg_type == "init" or not self._initialised:
            self._before_handlers(msg, msg_type)
            return
        handler = self._handlers.get(msg_type) if type(msg_type) is str else None
        if handler is None:
            self._fail(msg, RPCError.not_supported(f"unknown message type {msg_type!r}"))
        elif msg_type in self._async:
            self._serve(handler(msg), msg)
        else:
            try:
                result = handler(msg)
            except Exception as exc:
                self._fail(msg, exc)
                return
            if type(result) is dict:
                self._answer(msg, result)
            elif asyncio.iscoroutine(result):   # e.g. a partial of an async function
                self._serve(result, msg)
            elif result is not None:
                self._answer(msg, result)

    def _serve(self, coro, msg, timeout=_DEFAULT):
        """Run an async handler's coroutine as a task, tracked as its request's work."""
        task = self.spawn(self._serve_async(coro, msg))
        self._track(msg, task, timeout)

    async def _serve_async(self, coro, msg):
        try:
            result = await coro
        except Exception as exc:
            self._fail(msg, exc)
            return
        if result is not None:
            self._answer(msg, result)
        else:
            kept = self._open.get(id(msg))
            if kept is not None and not kept.kept:   # no reply, and none promised
                del self._open[id(msg)]
                kept._close()

    def _answer(self, msg, result):
        try:
            self.reply(msg, result)
        except (ValueError, TypeError) as exc:  # not JSON-encodable (e.g. NaN)
            self._fail(msg, exc)

    def _fail(self, msg, exc):
        if not isinstance(exc, RPCError):
            log(f"handler for {msg['body'].get('type')!r} crashed:\n{traceback.format_exc()}")
        elif msg["body"].get("msg_id") is None:
            log(f"error {int(exc.code)} for a request without msg_id: {exc.text}")
        self.reply_error(msg, exc)

    def _track(self, msg, task=None, timeout=_DEFAULT):
        """Register a request as open until answered, or dropped at its deadline."""
        timeout = self.request_timeout if timeout is _DEFAULT else timeout
        kept = Deferred(self, msg, task)
        if timeout is not None:
            kept.deadline = self._loop.time() + timeout
            kept._timer = self._loop.call_at(kept.deadline, self._expire, kept)
        self._open[id(msg)] = kept
        return kept

    def _expire(self, kept):
        if self._open.get(id(kept.msg)) is not kept:
            return
        del self._open[id(kept.msg)]
        kept.expired = True
        kept._close()
        key = _reply_key(kept.msg)
        if key is not None:
            self._expired.add(key)
        if kept._task is not None:
            kept._task.cancel()
        body = kept.msg["body"]
        log(f"dropped {body.get('type')!r} from {kept.msg['src']} (msg_id "
            f"{body.get('msg_id')!r}): unanswered {self.request_timeout}s after it arrived")

    # -- init ---------------------------------------------------------------

    def _before_handlers(self, msg, msg_type):
        """Until init completes every other request is held; a later init changes nothing."""
        if msg_type != "init" or self._initialising:
            self._held.append(msg)
            return
        try:
            node_id = require(msg["body"], "node_id", str)
            node_ids = require(msg["body"], "node_ids", list)
        except RPCError as err:
            self._fail(msg, err)
            return
        if self._initialised:
            if (node_id, node_ids) != (self.node_id, self.node_ids):
                log(f"ignoring a second init as {node_id!r}: this node is {self.node_id!r}")
            self.reply(msg, {"type": "init_ok"})
            return
        self.node_id, self.node_ids = node_id, node_ids
        self._initialising = True
        if any(asyncio.iscoroutinefunction(hook) for hook in self._init_hooks):
            self._serve(self._init_async(msg), msg, timeout=None)
            return
        try:
            for hook in self._init_hooks:
                hook()
        except Exception as exc:
            self._initialising = False
            self._fail(msg, exc)
            return
        self._init_done(msg)

    async def _init_async(self, msg):
        try:
            for hook in self._init_hooks:
                result = hook()
                if asyncio.iscoroutine(result):
                    await result
        except BaseException:
            self._initialising = False
            raise
        self._init_done(msg)

    def _init_done(self, msg):
        """Answer init, start the timers, then dispatch what was held, in arrival order."""
        self._initialised, self._initialising = True, False
        self.reply(msg, {"type": "init_ok"})
        for timer in list(self._timers):
            timer._start()
        held, self._held = self._held, []
        for request in held:
            self._dispatch(request, request["body"])

    def _task_done(self, task):
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log("task failed:\n" + "".join(traceback.format_exception(exc)))

    # -- output -------------------------------------------------------------

    def _schedule_flush(self):
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self):
        self._flush_scheduled = False
        if not self._outbox:
            return
        data = ("\n".join(self._outbox) + "\n").encode()
        self._outbox = []
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._out, view):]
        except BrokenPipeError:
            log("stdout closed; dropping output")


class Timer:
    """A callback the node runs later: once (Node.after) or every period (Node.every).

    Timers start when init completes (at once if created after it). A periodic timer runs
    on a fixed grid - start + k * period, each run plus up to `jitter` - so what the
    callback does never shifts later ticks; ticks the loop was too busy for are skipped,
    not bunched. A sync callback runs on the loop; an async one runs as its own task, so a
    slow run never delays the next tick: with overlap=True (the default) runs may overlap
    (give awaits a timeout, as node.rpc always has), with overlap=False a tick that finds
    the previous run still going is skipped and counted in `skipped`. An exception is
    logged to stderr and the timer carries on.

    cancel() stops future runs (a run in progress finishes). reset(delay=None) restarts
    the countdown: the next run comes `delay` (default: the timer's own delay, or period)
    plus fresh jitter from now, and a periodic timer keeps its period from there; it also
    re-arms a timer that was cancelled or has fired. `due` is the loop time of the next
    run before jitter (None when not armed), `when` the loop time it is scheduled for.
    """

    def __init__(self, node, fn, delay, period, jitter, overlap):
        self._node = node
        self.fn, self.delay, self.period = fn, delay, period
        self.jitter, self.overlap = jitter, overlap
        self.due = None
        self.skipped = 0
        self._first = delay       # delay of the next start, while waiting for init
        self._handle = None
        self._running = None
        node._timers.add(self)
        if node._initialised:
            self._start()

    @property
    def when(self):
        return None if self._handle is None else self._handle.when()

    def cancel(self):
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self.due = self._first = None
        self._node._timers.discard(self)

    def reset(self, delay=None):
        self.cancel()
        self._first = self.delay if delay is None else delay
        self._node._timers.add(self)
        if self._node._initialised:
            self._start()

    def _start(self):
        if self._first is not None:
            first, self._first = self._first, None
            self._arm(self._node._loop.time() + first)

    def _arm(self, due):
        self.due = due
        extra = random.uniform(0, self.jitter) if self.jitter else 0.0
        self._handle = self._node._loop.call_at(due + extra, self._fire)

    def _fire(self):
        self._handle = None
        if self.period is None:
            self.due = None
            self._node._timers.discard(self)
        else:
            now, due = self._node._loop.time(), self.due + self.period
            if due <= now:   # the loop was late: skip to the next tick on the grid
                due += (int((now - due) / self.period) + 1) * self.period
            self._arm(due)
        self._run()

    def _run(self):
        if not self.overlap and self._running is not None and not self._running.done():
            self.skipped += 1
            return
        try:
            result = self.fn()
        except Exception:
            log(f"timer {_name(self.fn)} raised:\n{traceback.format_exc()}")
            return
        if asyncio.iscoroutine(result):
            self._running = self._node.spawn(result)


class Deferred:
    """A request kept open to be answered later (Node.defer; also every async handler's).

    reply(body) or fail(error) answers it once; later calls do nothing. A request still
    open at its deadline (`deadline`, a loop time: Node.request_timeout after it arrived)
    is dropped: logged to stderr, `expired` set, a handler task still working on it
    cancelled, and any later reply to it, through here or node.reply, not sent (the
    client has given up, and a reply to a closed client is an error in Maelstrom).
    """

    def __init__(self, node, msg, task=None):
        self.msg = msg
        self.deadline = None
        self.done = self.expired = self.kept = False
        self._node, self._task, self._timer = node, task, None

    def reply(self, body):
        if not self.done:
            self._node.reply(self.msg, body)
            self._close()

    def fail(self, error):
        if not self.done:
            self._node.reply_error(self.msg, error)
            self._close()

    def _close(self):
        self.done = True
        if self._timer is not None:
            self._timer.cancel()
        self._node._check_drained()


def _reply_key(request):
    msg_id = request["body"].get("msg_id")
    return (request["src"], msg_id) if isinstance(msg_id, (int, str)) else None


def _name(fn):
    return repr(getattr(fn, "__name__", fn))


def _capture_stdout():
    """Return a private fd for the protocol stream; fd 1 and sys.stdout become stderr."""
    sys.stdout.flush()
    protocol = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def _settle(fut, value):
    if not fut.done():
        fut.set_result(value)


class KV:
    """Client for a Maelstrom key-value service: "seq-kv", "lin-kv" or "lww-kv"."""

    def __init__(self, node, service="lin-kv", timeout=1.0):
        self.node, self.service, self.timeout = node, service, timeout

    async def read(self, key, default=_MISSING):
        """Value at key; `default` when missing (RPCError 20 when no default given)."""
        try:
            reply = await self.node.rpc(self.service, {"type": "read", "key": key}, self.timeout)
        except RPCError as err:
            if err.code == Code.KEY_DOES_NOT_EXIST and default is not _MISSING:
                return default
            raise
        return reply.get("value")

    async def write(self, key, value):
        await self.node.rpc(self.service, {"type": "write", "key": key, "value": value},
                            self.timeout)

    async def cas(self, key, old, new, create=False):
        """Compare-and-set; RPCError 22 when the value is not `old`, 20 when missing."""
        body = {"type": "cas", "key": key, "from": old, "to": new}
        if create:
            body["create_if_not_exists"] = True
        await self.node.rpc(self.service, body, self.timeout)
