"""Offline fakes of Maelstrom's lin-kv and seq-kv services, for testing KV code.

A service is a plain object: `handle(msg) -> reply message or None`. Both stores
follow Maelstrom's key-value semantics (read / write / cas with
create_if_not_exists; errors 20 and 22). FakeSeqKV follows Maelstrom's
sequential wrapper: it keeps the last 32 states; a call is first tried on a
state chosen between the one the caller last saw and the newest; if that call
would change nothing it is answered from the chosen state (and the caller moves
there), otherwise it is applied to the newest state, which becomes a new state,
and the caller moves to it. `choose` makes staleness deterministic:
"stale" always picks the caller's last-seen state (the worst case), "fresh"
the newest, or pass a random.Random to pick uniformly like Maelstrom.

Tests can also inject faults: `fail_next(code)` makes the next request fail
with that error code, and `silent = True` drops requests (the caller times out).
"""

KV_ERRORS = {20: "key does not exist", 22: "precondition failed"}


def apply_kv(store, body):
    """Apply one KV request to a dict; return (new store, reply body)."""
    kind, key = body.get("type"), body.get("key")
    if kind == "read":
        if key not in store:
            return store, _error(20)
        return store, {"type": "read_ok", "value": store[key]}
    if kind == "write":
        return {**store, key: body.get("value")}, {"type": "write_ok"}
    if kind == "cas":
        if key not in store:
            if not body.get("create_if_not_exists"):
                return store, _error(20)
            return {**store, key: body.get("to")}, {"type": "cas_ok"}
        if store[key] != body.get("from"):
            return store, _error(22, f"current value {store[key]!r} is not {body.get('from')!r}")
        return {**store, key: body.get("to")}, {"type": "cas_ok"}
    return store, _error(10, f"unsupported request {kind!r}")


def _error(code, text=None):
    return {"type": "error", "code": code, "text": text or KV_ERRORS.get(code, "")}


class FakeService:
    """Common plumbing: reply envelope, request log, injected faults."""

    def __init__(self, name):
        self.name = name
        self.requests = []
        self.silent = False
        self._faults = []

    def fail_next(self, code, text="injected fault"):
        self._faults.append((code, text))

    def handle(self, msg):
        body = msg["body"]
        self.requests.append(msg)
        if self.silent:
            return None
        if self._faults:
            code, text = self._faults.pop(0)
            reply = {"type": "error", "code": code, "text": text}
        else:
            reply = self.answer(msg["src"], body)
        reply["in_reply_to"] = body.get("msg_id")
        return {"src": self.name, "dest": msg["src"], "body": reply}

    def answer(self, caller, body):
        raise NotImplementedError


class FakeLinKV(FakeService):
    """One atomic store (Maelstrom's lin-kv)."""

    def __init__(self, name="lin-kv"):
        super().__init__(name)
        self.store = {}

    def answer(self, caller, body):
        self.store, reply = apply_kv(self.store, body)
        return reply


class FakeSeqKV(FakeService):
    """Maelstrom's seq-kv with deterministic staleness (see the module docstring)."""

    def __init__(self, name="seq-kv", choose="stale", history=32):
        super().__init__(name)
        self.states = [{}]      # states[i] is state number first + i
        self.first = 0          # number of states[0]
        self.seen = {}          # caller -> number of the state it last saw
        self.choose = choose
        self.history = history

    @property
    def latest(self):
        return self.states[-1]

    def answer(self, caller, body):
        newest = self.first + len(self.states) - 1
        index = self._pick(max(self.seen.get(caller, 0), self.first), newest)
        state = self.states[index - self.first]
        after, reply = apply_kv(state, body)
        if after == state:
            self.seen[caller] = index
            return reply
        after, reply = apply_kv(self.latest, body)
        self.states.append(after)
        if len(self.states) > self.history:
            self.states.pop(0)
            self.first += 1
        self.seen[caller] = newest + 1
        return reply

    def _pick(self, low, high):
        if self.choose == "stale":
            return low
        if self.choose == "fresh":
            return high
        return self.choose.randint(low, high)
