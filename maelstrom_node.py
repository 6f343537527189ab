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
and a traceback on stderr. A request without "msg_id" never gets a reply. At
EOF, in-flight handlers finish, their replies are written, and run() returns.
"""
import asyncio
import json
import os
import sys
import traceback
from enum import IntEnum

__all__ = ["Code", "RPCError", "require", "Node", "KV"]


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


def _wants_bool(kind):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return bool in kinds or object in kinds


_MISSING = object()
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_decode = json.JSONDecoder().decode
_READ_SIZE = 1 << 20
_EOF_GRACE = 30.0  # seconds in-flight handlers get to finish after stdin closes


def log(*args):
    """Print to stderr (the only place logs may go)."""
    print(*args, file=sys.stderr, flush=True)


class Node:
    """A Maelstrom node: handlers, messaging, timers, and the I/O loop.

    `infd`/`outfd` are injectable for tests; by default run() reads fd 0,
    keeps a private duplicate of fd 1 for the protocol, and points fd 1 and
    sys.stdout at stderr so a stray print cannot corrupt the protocol.
    Constructing a Node has no side effects, so node modules can be imported.
    """

    def __init__(self, infd=0, outfd=None):
        self._in, self._out = infd, outfd
        self.node_id = None
        self.node_ids = []
        self._handlers = {}
        self._async = set()
        self._init_hooks = []
        self._timers = []
        self._pending = {}
        self._tasks = set()
        self._timer_tasks = set()
        self._next_msg_id = 0
        self._outbox = []
        self._flush_scheduled = False
        self._partial = []
        self._initialised = False
        self._loop = None
        self._eof = None

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

    def every(self, seconds, fn):
        """Call fn() (sync or async) every `seconds` once init is done; errors are logged."""
        self._timers.append((seconds, fn))
        if self._initialised:
            self._start_timer(seconds, fn)

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
        """Reply to a request message (no-op when the request carried no msg_id)."""
        msg_id = request["body"].get("msg_id")
        if msg_id is not None:
            src = self.node_id if self.node_id is not None else request.get("dest")
            self._outbox.append(_encode({"src": src, "dest": request["src"],
                                         "body": {**body, "in_reply_to": msg_id}}))
            self._schedule_flush()

    async def rpc(self, dest, body, timeout=1.0):
        """Send a request and return the reply body; raise RPCError on an error reply
        or on timeout (code 0). A reply arriving after the timeout is dropped."""
        self._next_msg_id += 1
        msg_id = self._next_msg_id
        fut = self._loop.create_future()
        self._pending[msg_id] = fut
        timer = self._loop.call_later(timeout, _expire, fut)
        try:
            self.send(dest, {**body, "msg_id": msg_id})
            reply = await fut
        finally:
            timer.cancel()
            del self._pending[msg_id]
        if reply is None:
            raise RPCError.timeout(f"no reply from {dest} within {timeout}s")
        if reply.get("type") == "error":
            raise RPCError.from_body(reply)
        return reply

    def spawn(self, coro):
        """Run a coroutine as a tracked task whose exception is logged, not lost."""
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def log(self, *args):
        log(*args)

    # -- running ------------------------------------------------------------

    def run(self):
        """Serve until stdin closes and in-flight handlers finish."""
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
        for task in self._timer_tasks:
            task.cancel()
        deadline = self._loop.time() + _EOF_GRACE
        while self._tasks and self._loop.time() < deadline:
            await asyncio.wait(list(self._tasks), timeout=deadline - self._loop.time())
        self._flush()

    def _on_readable(self):
        try:
            chunk = os.read(self._in, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        self._feed(chunk)

    async def _pump_file(self):
        while not self._eof.done():
            self._feed(os.read(self._in, _READ_SIZE))
            await asyncio.sleep(0)

    def _feed(self, chunk):
        if not chunk:
            self._finish_input()
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
        handle = self._handle_line
        for line in lines:
            handle(line)

    def _finish_input(self):
        if self._eof.done():
            return
        try:
            self._loop.remove_reader(self._in)
        except (ValueError, OSError):
            pass
        if self._partial:
            self._handle_line(b"".join(self._partial))
            self._partial = []
        self._eof.set_result(None)

    def _handle_line(self, line):
        try:
            msg = _decode(line.decode())
            body = msg["body"]
            if type(body) is not dict or type(msg["src"]) is not str:
                raise ValueError("not a message")
        except (ValueError, KeyError, TypeError, RecursionError):
            if line.strip():
                log(f"dropping a line that is not a JSON message: {line[:200]!r}")
            return
        if "in_reply_to" in body:
            self._on_reply(body)
        else:
            self._dispatch(msg, body)

    def _on_reply(self, body):
        try:
            fut = self._pending.get(body["in_reply_to"])
        except TypeError:  # an unhashable in_reply_to
            return
        if fut is not None and not fut.done():
            fut.set_result(body)

    def _dispatch(self, msg, body):
        msg_type = body.get("type")
        handler = self._handlers.get(msg_type) if type(msg_type) is str else None
        if msg_type == "init":
            handler = self._init
        if handler is None:
            self._fail(msg, RPCError.not_supported(f"unknown message type {msg_type!r}"))
        elif msg_type in self._async:
            self.spawn(self._serve_async(handler, msg))
        else:
            try:
                result = handler(msg)
            except Exception as exc:
                self._fail(msg, exc)
                return
            if type(result) is dict:
                self._answer(msg, result)
            elif asyncio.iscoroutine(result):  # e.g. init with async hooks
                self.spawn(self._serve_async(lambda _msg: result, msg))
            elif result is not None:
                self._answer(msg, result)

    async def _serve_async(self, handler, msg):
        try:
            result = await handler(msg)
        except Exception as exc:
            self._fail(msg, exc)
            return
        if result is not None:
            self._answer(msg, result)

    def _answer(self, msg, result):
        try:
            self.reply(msg, result)
        except (ValueError, TypeError) as exc:  # not JSON-encodable (e.g. NaN)
            self._fail(msg, exc)

    def _fail(self, msg, exc):
        if not isinstance(exc, RPCError):
            log(f"handler for {msg['body'].get('type')!r} crashed:\n{traceback.format_exc()}")
            exc = RPCError.crash(f"{type(exc).__name__}: {exc}")
        elif msg["body"].get("msg_id") is None:
            log(f"error {int(exc.code)} for a request without msg_id: {exc.text}")
        self.reply(msg, {"type": "error", "code": int(exc.code), "text": exc.text})

    def _init(self, msg):
        """Built-in init: inline when every hook is sync, else as a task."""
        body = msg["body"]
        node_id = require(body, "node_id", str)
        node_ids = require(body, "node_ids", list)
        self.node_id, self.node_ids = node_id, node_ids
        if any(asyncio.iscoroutinefunction(hook) for hook in self._init_hooks):
            return self._init_async()
        for hook in self._init_hooks:
            hook()
        return self._init_done()

    async def _init_async(self):
        for hook in self._init_hooks:
            result = hook()
            if asyncio.iscoroutine(result):
                await result
        return self._init_done()

    def _init_done(self):
        if not self._initialised:
            self._initialised = True
            for seconds, fn in self._timers:
                self._start_timer(seconds, fn)
        return {"type": "init_ok"}

    def _start_timer(self, seconds, fn):
        self._timer_tasks.add(self.spawn(self._tick(seconds, fn)))

    async def _tick(self, seconds, fn):
        while True:
            await asyncio.sleep(seconds)
            try:
                result = fn()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log(f"timer {getattr(fn, '__name__', fn)!r} raised:\n{traceback.format_exc()}")

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


def _capture_stdout():
    """Return a private fd for the protocol stream; fd 1 and sys.stdout become stderr."""
    sys.stdout.flush()
    protocol = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def _expire(fut):
    if not fut.done():
        fut.set_result(None)


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
