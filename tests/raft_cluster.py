"""An in-memory cluster of `raft.Raft` cores on a fake clock, for tests and bench.

Events (message deliveries, node timers, scheduled actions) run in time order
from one heap; nothing sleeps. Each node is ticked right after every event it
gets and again at its `next_deadline()`. Messages take a random latency, pass
through JSON (as on the wire), may be reordered, and are dropped while their
link is cut. The state machine is an append-only list of command ids: a read
returns the whole list, which makes the checks exact (see `check_all`). With
`compact_every`, a node compacts its log into a snapshot (a copy of that list)
once that many entries are applied past the last one.
"""
import heapq
import itertools
import json
import random
from dataclasses import dataclass, field

from raft import LEADER, Raft


@dataclass
class Op:
    """One client operation and what became of it."""
    kind: str                 # "write" or "read"
    node: str
    invoked: float
    done: float = None
    status: str = None        # "ok" or "rejected"; None while unanswered
    value: tuple = None       # a read's answer
    answered_by: list = field(default_factory=list)


class Cluster:
    def __init__(self, n=3, seed=0, timing=None, latency=(0.0002, 0.002), flexible=False,
                 compact_every=None):
        self.ids = [f"n{i}" for i in range(n)]
        self.rng = random.Random(seed)
        self.latency = latency
        self.compact_every = compact_every
        self.now = 0.0
        self.nodes = {i: Raft(i, self.ids, timing, seed=f"{seed}/{i}", flexible=flexible)
                      for i in self.ids}
        self.blocked = set()                    # (src, dest) links that drop messages
        self.states = {i: [] for i in self.ids}  # applied command ids, in order
        self.applied_at = {i: {} for i in self.ids}  # log index -> command id
        self.ops = {}                           # op id -> Op
        self.sent = []                          # (time, src, dest, body) of every message
        self._events = []
        self._seq = itertools.count()
        self._op_ids = itertools.count()
        self._armed = {}                        # node -> time of its pending timer
        for node_id in self.ids:
            self._wake(node_id)

    # -- driving --------------------------------------------------------------

    def at(self, time, action, *args):
        """Run action(*args) at simulated `time`."""
        heapq.heappush(self._events, (time, next(self._seq), action, args))

    def run_until(self, time):
        while self._events and self._events[0][0] <= time:
            when, _, action, args = heapq.heappop(self._events)
            self.now = max(self.now, when)
            action(*args)
        self.now = max(self.now, time)

    def run_for(self, seconds):
        self.run_until(self.now + seconds)

    def write(self, node_id):
        """A client write at node_id now; returns its op id."""
        op_id = f"w{next(self._op_ids)}"
        self.ops[op_id] = Op("write", node_id, self.now)
        self.nodes[node_id].propose(op_id, {"op": op_id}, self.now)
        self._settle(node_id)
        return op_id

    def read(self, node_id):
        op_id = f"r{next(self._op_ids)}"
        self.ops[op_id] = Op("read", node_id, self.now)
        self.nodes[node_id].read({"op": op_id}, self.now)
        self._settle(node_id)
        return op_id

    # -- the network ----------------------------------------------------------

    def cut(self, a, b):
        self.blocked |= {(a, b), (b, a)}

    def isolate(self, node_id):
        for other in self.ids:
            if other != node_id:
                self.cut(node_id, other)

    def partition(self, *groups):
        """Cut every link between different groups."""
        for group, other in itertools.permutations(groups, 2):
            for a in group:
                for b in other:
                    self.blocked.add((a, b))

    def heal(self):
        self.blocked.clear()

    def _deliver(self, src, dest, raw):
        if (src, dest) in self.blocked:
            return
        self.nodes[dest].receive(src, json.loads(raw), self.now)
        self._settle(dest)

    # -- nodes ----------------------------------------------------------------

    def _tick(self, node_id, when):
        if self._armed.get(node_id) == when:      # else superseded by an earlier timer
            del self._armed[node_id]
            self._settle(node_id)

    def _settle(self, node_id):
        """Tick the node, carry out its effects, and arm its next timer."""
        node = self.nodes[node_id]
        node.tick(self.now)
        ready = node.take_ready()
        for dest, body in ready.messages:
            self.sent.append((self.now, node_id, dest, body))
            if (node_id, dest) not in self.blocked:
                delay = self.rng.uniform(*self.latency)
                self.at(self.now + delay, self._deliver, node_id, dest, json.dumps(body))
        if ready.snapshot is not None:
            self.states[node_id] = list(ready.snapshot)
        for applied in ready.applied:
            self._apply(node_id, applied)
        if self.compact_every and node.applied - node.log.start >= self.compact_every:
            node.compact(list(self.states[node_id]))
        for request in ready.reads:
            self._answer(request["op"], node_id, "ok", tuple(self.states[node_id]))
        for command in ready.rejected:
            self._answer(command["op"], node_id, "rejected")
        self._wake(node_id)

    def _apply(self, node_id, applied):
        known = self.applied_at[node_id].setdefault(applied.index, applied.id)
        assert known == applied.id, f"{node_id} applied two commands at {applied.index}"
        self.states[node_id].append(applied.id)
        if applied.owned:
            self._answer(applied.id, node_id, "ok")

    def _answer(self, op_id, node_id, status, value=None):
        op = self.ops[op_id]
        op.answered_by.append(node_id)
        if op.status is None:
            op.status, op.done, op.value = status, self.now, value

    def _wake(self, node_id):
        when = max(self.now, self.nodes[node_id].next_deadline())
        if self._armed.get(node_id, float("inf")) > when:
            self._armed[node_id] = when
            self.at(when, self._tick, node_id, when)

    # -- views ----------------------------------------------------------------

    def leaders(self):
        return [i for i, node in self.nodes.items() if node.role == LEADER]

    def leader(self):
        """The one leader of the highest term (asserted)."""
        top = max(node.term for node in self.nodes.values())
        found = [i for i in self.leaders() if self.nodes[i].term == top]
        assert len(found) == 1, f"no single leader: {[repr(n) for n in self.nodes.values()]}"
        return found[0]

    def wait_for_leader(self, timeout=5.0, step=0.01):
        """Run until some node leads the highest term; return it and when it took over."""
        end = self.now + timeout
        while self.now < end:
            top = max(node.term for node in self.nodes.values())
            found = [i for i in self.leaders() if self.nodes[i].term == top]
            if found:
                return found[0]
            self.run_for(step)
        raise AssertionError("no leader elected")

    def messages(self, kind=None, since=0.0):
        return [m for m in self.sent if m[0] >= since and (kind is None or m[3]["type"] == kind)]

    # -- checks ---------------------------------------------------------------

    def check_all(self, settled=True):
        """State Machine Safety, truthful rejections, linearizable reads; once
        settled (healed and quiet), every node holds every acknowledged write."""
        self.check_safety()
        self.check_rejections()
        self.check_reads()
        if settled:
            self.check_durability()

    def check_safety(self):
        """No two nodes apply different commands at the same index, nor one twice."""
        seen = {}
        for node_id, by_index in self.applied_at.items():
            for index, op_id in by_index.items():
                assert seen.setdefault(index, op_id) == op_id, f"index {index} differs"
            states = self.states[node_id]
            assert len(states) == len(set(states)), f"{node_id} applied a command twice"

    def check_rejections(self):
        """A command answered 'rejected' (a definite error) is never applied."""
        applied = set().union(*map(set, self.states.values()))
        for op_id, op in self.ops.items():
            if op.kind == "write" and op.status == "rejected":
                assert op_id not in applied, f"{op_id} was rejected but applied"

    def check_durability(self):
        final = self.final_order()
        for node_id, states in self.states.items():
            assert states == final, f"{node_id} diverges from the longest state"
        for op_id, op in self.ops.items():
            if op.kind == "write" and op.status == "ok":
                assert op_id in final, f"acknowledged {op_id} is missing"

    def check_reads(self):
        """Each ok read returns a prefix of the log order, holds every write
        acknowledged before it was invoked, and reads in real-time order never
        go backwards: linearizability for this append-only list."""
        final = self.final_order()
        position = {op_id: k for k, op_id in enumerate(final)}
        writes = [(op.done, op_id) for op_id, op in self.ops.items()
                  if op.kind == "write" and op.status == "ok"]
        reads = sorted((op for op in self.ops.values() if op.kind == "read" and op.status == "ok"),
                       key=lambda op: op.invoked)
        for op in reads:
            assert list(op.value) == final[:len(op.value)], "a read is not a prefix of the log"
            for done, op_id in writes:
                if done < op.invoked:
                    assert position[op_id] < len(op.value), f"a read missed {op_id}"
        for earlier in reads:
            for later in reads:
                if earlier.done < later.invoked:
                    assert len(earlier.value) <= len(later.value), "a read went back in time"

    def final_order(self):
        return max(self.states.values(), key=len)
