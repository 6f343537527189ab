"""Maelstrom's kafka workload: send / poll / assign / crash, final polls, and Jepsen's checker.

Client (as Maelstrom's): each client keeps a map `offsets` of its assigned keys to the next
offset it wants. `send {key,msg}` -> `send_ok {offset}`. `poll {offsets}` -> `poll_ok {msgs}`;
the client moves each polled key past the highest offset it got and, when the poll returned
messages, commits those highest offsets with `commit_offsets` within the same operation.
`assign` replaces the assignment: keys it already had keep their offsets, others start at the
committed offset from `list_committed_offsets` (or 0); the final phase's assign seeks to 0 and
sends nothing. `crash` sends nothing and completes as info, so the client is replaced by a
fresh one under a new process. Any error or timeout inside an operation makes it info (the
Maelstrom kafka client does not sort errors into definite and indefinite).

Generator (Jepsen's kafka workload over Elle's list-append generator, as Maelstrom runs it):
single-micro-op transactions, half polls and half sends, over 10 active integer keys drawn
exponentially (base 2); each key takes the messages 1, 2, ... 32 and is then retired for a
fresh key. With probability 1/64 an `assign` of the next operation's key is issued instead
(a third of those also take every key that has sends not yet polled). Independently, one
`crash` every 30/concurrency seconds on average (the first right at the start). Keys and
messages go over the wire and into the history as strings and ints.

Final phase (per worker, after the recovery wait): crash, assign every key seen so far from
offset 0, then poll until this worker has read up to the highest offset known for every key
when the phase began (at most 10 s or 50 polls; polls after the first wait 0-0.4 s). The core
asks for final ops up front, so those polls are one op whose value holds every poll's
messages in order (a correct node needs a single poll, as in Maelstrom).

Checker (jepsen.tests.kafka, with assign as the only subscription method). Per key, a log of
offset -> messages is built from ok sends (and info sends proven visible) and from every
poll; "index" below is a message's position in that log with empty offsets removed.
  inconsistent-offsets   two different messages at one offset
  duplicate              one message at more than one offset
  lost-write             an acknowledged message never polled although a message at a later
                         index of its key was polled
  unseen                 an acknowledged message that no poll ever returned (by the end of
                         the final polls)
  poll-skip              a process's poll started past the index right after the one its
                         previous poll of that key ended at (reset for keys an assign drops)
  nonmonotonic-poll      ... started at or before it
  int-poll-skip / int-nonmonotonic-poll   the same between neighbours inside one poll
  nonmonotonic-send      a process's send landed at or before its previous send to that key
  G1a                    a poll returned a message whose send failed
  phantom-read           a poll returned a message no client sent (Jepsen's checker throws)
Every type found makes the run invalid. The result gives a count and up to 8 examples each.
Not checked (Jepsen derives them from Elle cycle search over write-read and real-time order):
polls that observe a message before its send was invoked.
"""

import asyncio
import json
import math
import time
from collections import defaultdict

from sim.schema import MapOf
from sim.workloads.base import ClientError, Workload

KEY_COUNT = 10
KEY_DIST_BASE = 2
MAX_WRITES_PER_KEY = 16   # Maelstrom's --max-writes-per-key default, passed to Elle's stream
SUB_P = 1 / 64
CRASH_CLIENT_INTERVAL = 30.0
FINAL_TIME_LIMIT = 10.0
FINAL_MAX_POLLS = 50
FINAL_POLL_STAGGER = 0.2
EXAMPLES = 8

SEND_OK = {"offset": int}
POLL_OK = {"msgs": MapOf([(int, object)])}
COMMIT_OK = {}
LIST_COMMITTED_OK = {"offsets": MapOf(int)}


# --- generator ---------------------------------------------------------------------------

class KeyStream:
    """Elle's list-append transaction stream with one micro-op per transaction."""

    def __init__(self, rng, key_count=KEY_COUNT, base=KEY_DIST_BASE,
                 max_writes=MAX_WRITES_PER_KEY):
        self.rng = rng
        self.base = base
        self.max_writes = max_writes
        self.active = list(range(key_count))
        self.scale = (base ** key_count - 1) * base / (base - 1)
        self.next_value = {}

    def _key_index(self):
        x = self.rng.random() * self.scale + self.base
        return min(int(math.floor(math.log(x) / math.log(self.base) - 1)), len(self.active) - 1)

    def draw(self):
        """("poll", key) or ("send", key, msg); a key past its last message is replaced."""
        while True:
            write = self.rng.random() < 0.5
            i = self._key_index()
            key = self.active[i]
            if not write:
                return ("poll", key)
            value = self.next_value.get(key, 1)
            if value > self.max_writes:
                self.active[i] = max(self.active) + 1
                continue
            self.next_value[key] = value + 1
            return ("send", key, value)


def max_offsets(f, value, sends=True, polls=True):
    """{key: highest offset} a completed send/poll value shows (Jepsen's op->max-offsets)."""
    out = {}
    for mop in value or []:
        if mop[0] == "poll" and polls and len(mop) > 1 and isinstance(mop[1], dict):
            for k, pairs in mop[1].items():
                out[k] = max([out.get(k, -1)] + [p[0] for p in pairs])
        elif mop[0] == "send" and sends and isinstance(mop[2], list) and mop[2][0] is not None:
            out[mop[1]] = max(out.get(mop[1], -1), mop[2][0])
    return out


def merge_max(into, offsets):
    for k, o in offsets.items():
        if o > into.get(k, -1):
            into[k] = o


# --- the workload ------------------------------------------------------------------------

class KafkaWorkload(Workload):
    name = "kafka"
    reopen_after_info = True
    idempotent = frozenset()
    stats_exempt = frozenset({"crash"})   # crash ops are never ok (Jepsen's kafka stats-checker)

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.keys = KeyStream(
            rng, key_count=getattr(opts, "key_count", None) or KEY_COUNT,
            max_writes=getattr(opts, "max_writes_per_key", None) or MAX_WRITES_PER_KEY)
        self.pending = None
        self.concurrency = max(1, int(getattr(opts, "concurrency", 1) or 1))
        self.crash_dt = CRASH_CLIENT_INTERVAL / self.concurrency
        self.next_crash = 0.0
        self.client_offsets = {}        # process -> {key: next offset to poll}
        self.unpolled_sent = {}         # PollUnseen: key -> highest sent offset not yet polled
        self.polled = {}                # PollUnseen: key -> highest polled offset
        self.known_offsets = {}         # TrackKeyOffsets: key -> highest offset seen in ok ops

    # main phase

    def next_op(self, process, now):
        now = now / 1e9
        if now >= self.next_crash:
            self.next_crash = max(self.next_crash, now) + self.rng.uniform(0, 2 * self.crash_dt)
            return {"f": "crash", "value": None}
        if self.pending is None:
            self.pending = self.keys.draw()
        if self.rng.random() < SUB_P:
            return {"f": "assign", "value": self._assign_keys(str(self.pending[1]))}
        mop, self.pending = self.pending, None
        if mop[0] == "send":
            return {"f": "send", "value": [["send", str(mop[1]), mop[2]]]}
        return {"f": "poll", "value": [["poll"]]}

    def _assign_keys(self, key):
        keys = [key]
        if self.unpolled_sent and self.rng.random() < 1 / 3:
            keys += [k for k in self.unpolled_sent if k != key]
        return keys

    async def invoke(self, client, op, process):
        f = op["f"]
        if f == "crash":
            return {"type": "info", "value": None}
        try:
            if f == "send":
                done = await self._send(client, op)
            elif f == "poll":
                done = {"type": "ok", "value": await self._poll_once(client, process)}
            else:
                done = await self._assign(client, op, process)
        except ClientError as e:
            return {"type": "info", "value": op["value"], "error": [e.code, e.text]}
        self._observe(f, done["value"], process)
        return done

    async def _send(self, client, op):
        _, key, msg = op["value"][0]
        reply = await client.call({"type": "send", "key": key, "msg": msg}, "send_ok", SEND_OK)
        return {"type": "ok", "value": [["send", key, [reply["offset"], msg]]]}

    async def _poll_once(self, client, process):
        """One poll from this client's offsets, then a commit of what it returned."""
        offsets = self.client_offsets.setdefault(process, {})
        reply = await client.call({"type": "poll", "offsets": dict(offsets)}, "poll_ok", POLL_OK)
        msgs = reply["msgs"]
        highest = {k: max(p[0] for p in pairs) for k, pairs in msgs.items() if pairs}
        for k, pairs in msgs.items():
            offsets[k] = max(offsets.get(k, 0), highest.get(k, -1) + 1)
        if highest:
            await client.call({"type": "commit_offsets", "offsets": highest},
                              "commit_offsets_ok", COMMIT_OK)
        return [["poll", msgs]]

    async def _assign(self, client, op, process):
        keys = op["value"]
        old = self.client_offsets.get(process, {})
        if op.get("seek_to_beginning"):
            self.client_offsets[process] = {k: 0 for k in keys}
        else:
            reply = await client.call({"type": "list_committed_offsets", "keys": keys},
                                      "list_committed_offsets_ok", LIST_COMMITTED_OK)
            committed = reply["offsets"]
            self.client_offsets[process] = {
                k: old[k] if k in old else committed.get(k, 0) for k in keys}
        return {"type": "ok", "value": keys}

    def _observe(self, f, value, process):
        """Generator bookkeeping on an ok completion (PollUnseen, TrackKeyOffsets)."""
        if f not in ("send", "poll"):
            return
        sent = max_offsets(f, value, polls=False)
        polled = max_offsets(f, value, sends=False)
        merge_max(self.known_offsets, sent)
        merge_max(self.known_offsets, polled)
        merge_max(self.unpolled_sent, sent)
        merge_max(self.polled, polled)
        for k in list(polled) + list(sent):
            if self.polled.get(k, -1) >= self.unpolled_sent.get(k, -1):
                self.unpolled_sent.pop(k, None)

    # final phase

    def final_ops(self, process):
        """Jepsen's final phase for this worker, one op at a time: crash, assign every key seen
        so far from offset 0, then polls 0-0.4 s apart until the worker has read up to every
        offset known as the phase began; 10 s at most for the whole phase."""
        started = time.monotonic()
        targets = dict(self.known_offsets)
        yield {"f": "crash", "value": None}
        if not targets:
            return
        yield {"f": "assign", "value": sorted(targets), "seek_to_beginning": True}
        for i in range(FINAL_MAX_POLLS):
            delay = self.rng.uniform(0, 2 * FINAL_POLL_STAGGER) if i else 0
            if time.monotonic() + delay - started >= FINAL_TIME_LIMIT:
                return
            done = yield {"f": "poll", "value": [["poll"]], "delay": delay}
            if done.get("type") == "ok":
                for k, o in max_offsets("poll", done["value"]).items():
                    if k in targets and targets[k] <= o:
                        del targets[k]
            if not targets:
                return

    def check(self, history, ctx):
        return check_history(history)


WORKLOAD = KafkaWorkload


# --- the checker (jepsen.tests.kafka) ----------------------------------------------------

def freeze(value):
    """A hashable stand-in for a message that keeps 1, 1.0, true and "1" apart."""
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return value
    return ("json", json.dumps(value, sort_keys=True))


def op_writes(op):
    """{key: [(offset or None, message), ...]} sent by a completed op."""
    out = defaultdict(list)
    if op.get("f") == "send":
        for mop in op.get("value") or []:
            if mop[0] == "send":
                v = mop[2]
                pair = (v[0], v[1]) if isinstance(v, list) else (None, v)
                out[mop[1]].append(pair)
    return out


def op_reads(op):
    """{key: [(offset, message), ...]} returned by a completed poll."""
    out = defaultdict(list)
    if op.get("f") == "poll":
        for mop in op.get("value") or []:
            if mop[0] == "poll" and len(mop) > 1 and isinstance(mop[1], dict):
                for k, pairs in mop[1].items():
                    out[k].extend((p[0], p[1]) for p in pairs)
    return out


class KeyOrder:
    """One key's log: offset -> set of messages, and the dense index of each message."""

    def __init__(self):
        self.log = defaultdict(set)

    def add(self, offset, msg):
        if offset is not None:
            self.log[offset].add(freeze(msg))

    def finish(self):
        self.offsets = sorted(self.log)
        self.by_index = [min(self.log[o], key=repr) for o in self.offsets]
        self.first_index, self.last_index, self.index = {}, {}, {}
        for i, o in enumerate(self.offsets):
            for v in self.log[o]:
                self.first_index.setdefault(v, i)
                self.last_index[v] = i
        self.index = {v: i for i, v in enumerate(self.by_index)}

    def delta(self, v1, v2):
        i1, i2 = self.index.get(freeze(v1)), self.index.get(freeze(v2))
        return (i2 - i1) if i1 is not None and i2 is not None else 1


class Analysis:
    """Indexes over the completed client ops of one history."""

    def __init__(self, history):
        self.ops = [op for op in history if op.get("type") in ("ok", "info", "fail")
                    and op.get("process") != "nemesis"]
        self.ok_reads = defaultdict(set)      # key -> messages returned by ok polls
        self.writer = defaultdict(dict)       # key -> message -> completion that sent it
        self.failed = defaultdict(set)        # key -> messages whose send failed
        for op in self.ops:
            for k, pairs in op_writes(op).items():
                for _, v in pairs:
                    self.writer[k][freeze(v)] = op
                    if op["type"] == "fail":
                        self.failed[k].add(freeze(v))
            if op["type"] == "ok":
                for k, pairs in op_reads(op).items():
                    self.ok_reads[k].update(freeze(v) for _, v in pairs)
        self.orders = defaultdict(KeyOrder)
        for op in self.ops:
            if self.visible(op):
                for k, pairs in op_writes(op).items():
                    for o, v in pairs:
                        self.orders[k].add(o, v)
            for k, pairs in op_reads(op).items():
                for o, v in pairs:
                    self.orders[k].add(o, v)
        for order in self.orders.values():
            order.finish()

    def visible(self, op):
        """Jepsen's must-have-committed?: ok, or info with one of its messages polled."""
        if op["type"] == "ok":
            return True
        return op["type"] == "info" and any(
            freeze(v) in self.ok_reads[k] for k, pairs in op_writes(op).items() for _, v in pairs)


def ref(op):
    """A short pointer to a history op for error examples."""
    return {"index": op.get("index"), "process": op.get("process"), "type": op.get("type"),
            "f": op.get("f"), "time": op.get("time")}


def show(v):
    return v[1] if isinstance(v, tuple) else v


def inconsistent_offsets(a):
    out = []
    for k, order in a.orders.items():
        for i, o in enumerate(order.offsets):
            if len(order.log[o]) > 1:
                out.append({"key": k, "offset": o, "index": i,
                            "values": sorted((show(v) for v in order.log[o]), key=repr)})
    return out


def duplicates(a):
    out = []
    for k, order in a.orders.items():
        where = defaultdict(list)
        for o in order.offsets:
            for v in order.log[o]:
                where[v].append(o)
        out += [{"key": k, "value": show(v), "count": len(os_), "offsets": os_}
                for v, os_ in where.items() if len(os_) > 1]
    return out


def lost_writes(a):
    """Messages at or below the highest index some ok poll reached that no ok poll returned."""
    out = []
    for k, read in a.ok_reads.items():
        order = a.orders.get(k)
        if order is None:
            continue
        bound = max((order.first_index[v] for v in read if v in order.first_index), default=-1)
        for v, last in order.last_index.items():
            writer = a.writer[k].get(v)
            if last <= bound and v not in read and writer is not None and a.visible(writer):
                out.append({"key": k, "value": show(v), "index": order.first_index[v],
                            "max_read_index": bound, "writer": ref(writer)})
    return sorted(out, key=lambda e: (e["key"], e["index"]))


def unseen(a):
    """Acknowledged messages no ok poll ever returned: {key: count}, and some of them."""
    missing = defaultdict(list)
    for op in a.ops:
        if op["type"] == "ok":
            for k, pairs in op_writes(op).items():
                missing[k] += [v for _, v in pairs if freeze(v) not in a.ok_reads[k]]
    missing = {k: vs for k, vs in missing.items() if vs}
    if not missing:
        return None
    return {"count": sum(len(vs) for vs in missing.values()),
            "unseen": {k: len(vs) for k, vs in sorted(missing.items())},
            "messages": {k: vs[:32] for k, vs in sorted(missing.items())}}


def _skip_or_nonmonotonic(order, k, v1, v2, ops, out):
    d = order.delta(v1, v2) if order else 1
    if d > 1:
        i1 = order.index[freeze(v1)]
        skipped = [show(v) for v in order.by_index[i1 + 1:i1 + d]]
        out["skip"].append({"key": k, "values": [v1, v2], "delta": d,
                            "skipped": skipped[:EXAMPLES], "ops": ops})
    elif d < 1:
        out["nonmonotonic"].append({"key": k, "values": [v1, v2], "delta": d, "ops": ops})


def internal_polls(a):
    """Skips and inversions between neighbouring messages of one key inside one poll."""
    out = {"skip": [], "nonmonotonic": []}
    for op in a.ops:
        for k, pairs in op_reads(op).items():
            for (_, v1), (_, v2) in zip(pairs, pairs[1:]):
                _skip_or_nonmonotonic(a.orders.get(k), k, v1, v2, [ref(op)], out)
    return out


def by_process(ops):
    groups = defaultdict(list)
    for op in ops:
        groups[op.get("process")].append(op)
    return groups.values()


def external_polls(a):
    """Per process: where each poll of a key starts against where its previous poll ended."""
    out = {"skip": [], "nonmonotonic": []}
    for ops in by_process(a.ops):
        last = {}                            # key -> (op, last message read)
        for op in ops:
            if op["f"] == "assign" and op["type"] in ("ok", "info"):
                keep = set(op.get("value") or [])
                last = {k: x for k, x in last.items() if k in keep}
            elif op["f"] == "poll" and op["type"] == "ok":
                for k, pairs in op_reads(op).items():
                    if not pairs:                # Jepsen: an empty read forgets the key
                        last.pop(k, None)
                        continue
                    if k in last:
                        prev, v1 = last[k]
                        _skip_or_nonmonotonic(a.orders.get(k), k, v1, pairs[0][1],
                                              [ref(prev), ref(op)], out)
                    last[k] = (op, pairs[-1][1])
    return out


def nonmonotonic_sends(a):
    """Per process: a send to a key that lands at or before the process's previous one."""
    out = []
    for ops in by_process(a.ops):
        last = {}
        for op in ops:
            if op["type"] not in ("ok", "info"):
                continue
            if op["f"] == "assign":
                keep = set(op.get("value") or [])
                last = {k: x for k, x in last.items() if k in keep}
            elif op["f"] == "send":
                for k, pairs in op_writes(op).items():
                    if k in last:
                        prev, v1 = last[k]
                        order = a.orders.get(k)
                        d = order.delta(v1, pairs[0][1]) if order else 1
                        if d < 1:
                            out.append({"key": k, "values": [v1, pairs[0][1]], "delta": d,
                                        "ops": [ref(prev), ref(op)]})
                    last[k] = (op, pairs[-1][1])
    return out


def aborted_reads(a):
    """G1a: an ok poll returned a message whose send definitely failed."""
    return [{"key": k, "value": show(v), "reader": ref(op)}
            for op in a.ops if op["type"] == "ok"
            for k, pairs in op_reads(op).items()
            for _, v in pairs if freeze(v) in a.failed[k]]


def phantom_reads(a):
    """A poll returned a message no client ever sent to that key."""
    return [{"key": k, "offset": o, "value": v, "reader": ref(op)}
            for op in a.ops
            for k, pairs in op_reads(op).items()
            for o, v in pairs if freeze(v) not in a.writer[k]]


def check_history(history):
    """Jepsen's kafka checker over a Maelstrom kafka history -> a JSON-able result map."""
    a = Analysis(history)
    ext, inner = external_polls(a), internal_polls(a)
    errors = {
        "duplicate": duplicates(a),
        "inconsistent-offsets": inconsistent_offsets(a),
        "lost-write": lost_writes(a),
        "poll-skip": ext["skip"],
        "nonmonotonic-poll": ext["nonmonotonic"],
        "int-poll-skip": inner["skip"],
        "int-nonmonotonic-poll": inner["nonmonotonic"],
        "nonmonotonic-send": nonmonotonic_sends(a),
        "G1a": aborted_reads(a),
        "phantom-read": phantom_reads(a),
    }
    result = {name: {"count": len(errs), "errors": errs[:EXAMPLES]}
              for name, errs in errors.items() if errs}
    missing = unseen(a)
    if missing:
        result["unseen"] = missing
    types = sorted(result)
    result.update({
        "valid": not types,
        "errors": [f"{t}: {result[t]['count']}" for t in types],
        "error_types": types,
        "bad_error_types": types,
        "sent_ok": sum(1 for op in a.ops if op["type"] == "ok" and op["f"] == "send"),
        "keys": len(a.orders),
        "info_causes": sorted({json.dumps(op.get("error")) for op in a.ops
                               if op["type"] == "info" and op["f"] in ("send", "poll", "assign")}),
    })
    return result
