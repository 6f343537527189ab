"""Maelstrom's kafka workload: send / poll / assign / crash and the final polls.

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
single-micro-op transactions from the shared key pool (sim.workloads.keypool, Elle's
wr-txns: 10 keys, each taking the messages 1..16 before a fresh key replaces it), a read
becoming a poll and a write a send. With probability 1/64 an `assign` of the next operation's key is issued instead
(a third of those also take every key that has sends not yet polled). Independently, one
`crash` every 30/concurrency seconds on average (the first right at the start). Keys and
messages go over the wire and into the history as strings and ints.

Final phase (per worker, after the recovery wait): crash, assign every key seen so far from
offset 0, then poll until this worker has read up to the highest offset known for every key
when the phase began (at most 10 s or 50 polls; polls after the first wait 0-0.4 s). The core
asks for final ops one at a time, so each poll is its own op and the generator sees its
result before deciding to poll again.

Checker: sim.checkers.kafka (jepsen.tests.kafka's).
"""

import time

from sim.checkers import kafka as kafka_checker
from sim.schema import MapOf
from sim.workloads.base import ClientError, Workload
from sim.workloads.keypool import KEY_COUNT, MAX_WRITES_PER_KEY, KeyPool

SUB_P = 1 / 64
CRASH_CLIENT_INTERVAL = 30.0
FINAL_TIME_LIMIT = 10.0
FINAL_MAX_POLLS = 50
FINAL_POLL_STAGGER = 0.2

SEND_OK = {"offset": int}
POLL_OK = {"msgs": MapOf([(int, object)])}
COMMIT_OK = {}
LIST_COMMITTED_OK = {"offsets": MapOf(int)}


# --- generator ---------------------------------------------------------------------------

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
    final_phase = True
    stats_exempt = frozenset({"crash"})   # crash ops are never ok (Jepsen's kafka stats-checker)

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.pool = KeyPool(
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
            self.pending = self.pool.mop()
        f, key, msg = self.pending
        if self.rng.random() < SUB_P:
            return {"f": "assign", "value": self._assign_keys(str(key))}
        self.pending = None
        if f == "w":
            return {"f": "send", "value": [["send", str(key), msg]]}
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

    @staticmethod
    def check(history, opts, probe=None):
        return kafka_checker.check(history)


WORKLOAD = KafkaWorkload
