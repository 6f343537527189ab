"""Maelstrom's built-in services: lin-kv, seq-kv, lww-kv and lin-tso.

Each service is a network endpoint. A request is handled the moment it is delivered and the
reply is sent back through the network (so it gets --latency too and counts as a server
message). The models follow Maelstrom's service.clj:

- a KV state is a dict; read / write / cas(from, to, create_if_not_exists) with errors 20 / 22;
- lin-kv: one atomic state;
- seq-kv: the last 32 states. A call first runs against a state picked uniformly from
  [the caller's last index, newest], newest included: the spec's "between the one this caller
  last saw and the newest", and what reproduces the gcounter_4 calibration row (3.03-3.05
  servers msgs-per-op against Maelstrom's 3.08; the 0.2.x tags' `rand-int (last - seen)`,
  which never shows a reader the newest state, gave 3.49-3.64). If that changes nothing,
  that is the answer and the caller
  moves to the picked index; otherwise the call re-runs on the newest state, appends the result
  (even when that re-run fails) and moves the caller there;
- lww-kv: 2 replicas with Lamport timestamps; each call runs on a random replica; cas has no
  create_if_not_exists. Maelstrom's Eventual computes a merge of one random replica into
  another and then discards it (it rebinds from the unmerged vector), so its replicas never
  converge; we reproduce that faithfully (MERGE = False; set True for the intended model);
- lin-tso: ts -> ts_ok {ts}, 0, 1, 2, ...
A request of a type a service does not know gets no reply (Maelstrom's service thread throws
and logs), so the caller times out.
"""

NOT_FOUND = {"type": "error", "code": 20, "text": "key does not exist"}


def kv_handle(state, body):
    """Pure KV step: (state, body) -> (new_state, reply). Never mutates `state`."""
    t = body.get("type")
    key = _key(body.get("key"))
    if t == "read":
        if key in state:
            return state, {"type": "read_ok", "value": state[key]}
        return state, dict(NOT_FOUND)
    if t == "write":
        if key in state and same(state[key], body.get("value")):
            return state, {"type": "write_ok"}
        return {**state, key: body.get("value")}, {"type": "write_ok"}
    if t == "cas":
        if key in state:
            if not same(state[key], body.get("from")):
                return state, {"type": "error", "code": 22,
                               "text": f"current value {state[key]!r} is not {body.get('from')!r}"}
            if same(state[key], body.get("to")):
                return state, {"type": "cas_ok"}
            return {**state, key: body.get("to")}, {"type": "cas_ok"}
        if body.get("create_if_not_exists"):
            return {**state, key: body.get("to")}, {"type": "cas_ok"}
        return state, dict(NOT_FOUND)
    return state, None


def same(a, b):
    """JSON equality that, like Clojure's, tells 1 from 1.0 and from true."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def _key(key):
    """JSON keys may be lists; make them hashable while keeping equality."""
    if isinstance(key, list):
        return tuple(_key(k) for k in key)
    if isinstance(key, dict):
        return ("__map__",) + tuple(sorted((k, _key(v)) for k, v in key.items()))
    return key


class LinKV:
    def __init__(self, rng):
        self.state = {}

    def handle(self, src, body):
        self.state, reply = kv_handle(self.state, body)
        return reply


class SeqKV:
    SIZE = 32

    def __init__(self, rng):
        self.rng = rng
        self.states = [{}]          # states[i] is the state at index base + i
        self.base = 0
        self.last = 0               # index of the newest state
        self.clients = {}           # caller -> last index it observed

    def state_at(self, index):
        oldest = self.last - len(self.states) + 1
        if index < oldest:          # Maelstrom's ring buffer wraps around
            index += ((oldest - index + self.SIZE - 1) // self.SIZE) * self.SIZE
            index = min(index, self.last)
        return self.states[index - self.base]

    def handle(self, src, body):
        seen = self.clients.get(src, 0)
        index = seen + self.rng.randrange(self.last - seen + 1)
        state = self.state_at(index)
        new, reply = kv_handle(state, body)
        if new is state:
            self.clients[src] = index
            return reply
        new, reply = kv_handle(self.states[-1], body)
        self.last += 1
        self.states.append(new)
        if len(self.states) > self.SIZE:
            self.states.pop(0)
            self.base += 1
        self.clients[src] = self.last
        return reply


class LwwReplica:
    def __init__(self, clock=0, data=None):
        self.clock = clock
        self.data = data or {}      # key -> (ts, value)

    def merged(self, other):
        data = dict(other.data)
        for k, (ts, v) in self.data.items():
            if k not in data or data[k][0] <= ts:
                data[k] = (ts, v)
        return LwwReplica(max(self.clock, other.clock), data)


class LwwKV:
    REPLICAS = 2

    def __init__(self, rng):
        self.rng = rng
        self.replicas = [LwwReplica() for _ in range(self.REPLICAS)]

    MERGE = False

    def handle(self, src, body):
        n = len(self.replicas)
        source, dest = self.rng.randrange(n), self.rng.randrange(n)
        if self.MERGE:
            self.replicas[dest] = self.replicas[dest].merged(self.replicas[source])
        i = self.rng.randrange(n)
        replica = self.replicas[i]
        t = body.get("type")
        key = _key(body.get("key"))
        if t == "read":
            if key in replica.data:
                return {"type": "read_ok", "value": replica.data[key][1]}
            return dict(NOT_FOUND)
        if t == "write":
            self._put(i, key, body.get("value"))
            return {"type": "write_ok"}
        if t == "cas":
            if key not in replica.data:
                return dict(NOT_FOUND)
            current = replica.data[key][1]
            if not same(current, body.get("from")):
                return {"type": "error", "code": 22,
                        "text": f"current value {current!r} is not {body.get('from')!r}"}
            self._put(i, key, body.get("to"))
            return {"type": "cas_ok"}
        return None

    def _put(self, i, key, value):
        old = self.replicas[i]
        data = dict(old.data)
        data[key] = (old.clock, value)
        self.replicas[i] = LwwReplica(old.clock + 1, data)


class LinTSO:
    def __init__(self, rng):
        self.ts = 0

    def handle(self, src, body):
        if body.get("type") != "ts":
            return None
        ts = self.ts
        self.ts += 1
        return {"type": "ts_ok", "ts": ts}


SERVICES = {"lin-kv": LinKV, "seq-kv": SeqKV, "lww-kv": LwwKV, "lin-tso": LinTSO}


class ServiceEndpoint:
    """Binds a service model to the network."""

    def __init__(self, name, model, net):
        self.name = name
        self.model = model
        self.net = net

    def deliver(self, src, body, raw):
        if "in_reply_to" in body:
            return                      # a reply to the service: nothing to do
        reply = self.model.handle(src, body)
        if reply is None:
            return                      # unknown request type: Maelstrom never answers
        if "msg_id" in body:
            reply["in_reply_to"] = body["msg_id"]
        try:
            self.net.send(self.name, src, reply)
        except Exception:
            pass                        # the caller is gone


def start_services(net, rng):
    endpoints = {}
    for name, cls in SERVICES.items():
        ep = ServiceEndpoint(name, cls(rng), net)
        net.add(name, ep.deliver)
        endpoints[name] = ep
    return endpoints
