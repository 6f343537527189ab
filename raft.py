"""A Raft consensus core: pure, deterministic, driven by events, returning effects.

No I/O, no threads, no clock: the owner feeds events with the current time and
drains the effects (the shape of etcd's raft `Step`/`Ready`), so tests can run
whole clusters on a fake clock and an in-memory network.

    raft = Raft("n1", ["n1", "n2", "n3"], now=clock())
    raft.propose(command_id, command, now)   # a client's write: log it or forward it
    raft.read(request, now)                  # a client's read: serve it linearizably
    raft.receive(src, body, now)             # a node-to-node message (MESSAGE_TYPES)
    raft.tick(now)                           # timers and batched sends; call it soon
                                             # after events and at next_deadline()
    raft.compact(state)                      # now and then: snapshot at `applied`
    ready = raft.take_ready()                # effects since the last call:
      ready.snapshot  state or None    a leader's snapshot: replace the state machine first
      ready.messages  [(dest, body)]   send these (bodies have no msg_id; never replies)
      ready.applied   [Applied]        committed commands, in log order, each id once:
                                       apply ALL to the state machine, in order;
                                       answer the client when `owned`
      ready.reads     [request]        answer from the state machine AFTER `applied`
      ready.rejected  [command|request]  never applied: answer error 11 (definite)

Wiring a node (lin-kv). Register each of MESSAGE_TYPES to call `receive`. A
client write/cas becomes `propose(id, {"client", "msg_id", op...}, now)` with a
cluster-unique id (node id + counter); a client read becomes `read({"client",
"msg_id", "key"}, now)`. After handling each input (coalesce with call_soon),
call `tick(now)` and drain `take_ready()`; keep one one-shot timer armed at
`next_deadline()` that does the same. `now` is time.monotonic() read at the
call: every node of a Maelstrom run shares that clock, which the leader lease
relies on (see Reads). Replies go from the node that holds the command straight
to the client (`node.send(client, {..., "in_reply_to": msg_id})`): Maelstrom's
client matches replies by in_reply_to only, whatever node sends them, and a
node->client message is a client message, not a server one.

Who answers. A command is held by exactly one node at a time, so exactly one
node answers it, and only truthfully. A follower that knows a live leader
forwards the command (batched) and forgets it; the leader that appends it owns
it (`Applied.owned`: this node led the entry's term) and answers when it
applies it, even if it has lost leadership since. A node that cannot log a
command - no known leader, a leader unheard for `leader_silence`, or a leader
that has lost its quorum or is stalled - rejects it at once: it was never
logged anywhere, so error 11 is definite and true. A command once logged is
never rejected: it commits exactly once (ids are applied once) or never, and
its client gets the real answer or nothing (an indefinite timeout). Reads are
not logged; a node that rejects a read may say 11, since a read changes nothing.

Timing (`Timing`, seconds). Election timeouts are drawn from [0.4, 0.8); a
leader sends a heartbeat after 0.1 s of silence towards a follower. A cut-off
leader is replaced within election_max (< 1 s) plus two round trips: every
survivor last heard it before the cut, so a timer firing at t wins the
pre-vote once the other voters' guards (below) have run out by t; a timer that
fires too early loses, but then the survivor it asked heard the leader later,
so (on three nodes) that one's timer, <= election_max after the cut, fires
after every guard and wins. 0.4 s is four heartbeats: slack for a loaded box.

Elections (Raft section 5.2, 5.4) with two additions from the Raft thesis
(section 6 and 9.6): pre-vote - a node whose timer fires first asks whether it
could win (term + 1, log up to date) and only then bumps its term, so a node
cut off in a minority never inflates its term and cannot depose the leader
when the partition heals; and a vote guard - a node that heard from a leader
less than election_min ago ignores (pre-)vote requests and does not adopt their
term; a leader ignores them outright. A leader with no quorum of acks for
election_min steps down (check-quorum).

Replication. At most one AppendEntries per follower per `batch` interval
carries everything the follower lacks (the first one goes at once, so an idle
cluster adds no latency); nothing but a heartbeat goes to a follower with
nothing new. Followers answer only when asked (entries not yet committed, an
ack not seen for `ack_every`, or a lease to renew) or to refuse. Eager to a
quorum, lazy to the rest: new entries go at once only to as many followers as
a quorum needs (responsive first, least recently sent first, so the sends
alternate and double as heartbeats); the others receive them with their next
heartbeat, or at once if nothing commits for `broaden_after`. Rejections carry
the conflicting term and its first index, so a lagging follower is repaired in
about one round trip per differing term. Forwarded commands and reads are
batched the same way: one message per `batch` per follower.

Commit. The leader commits the highest index stored on a quorum whose entry is
of its current term (section 5.4.2; the figure-8 rule), which commits
everything before it. A new leader logs a no-op at once so commit can move.

Follower commit (at most 3 nodes; 4 flexible). When the leader plus one follower
form a quorum, a follower whose log matches the leader's up to index i, with
entry i of the current term T received from T's leader in T, knows entry i is
stored on a quorum (the leader, which never drops its own entries, and
itself), and so committed together with all before it (log matching). Safety:
section 5.4.3's proof of Leader Completeness needs only that leader T stored
the entry on a quorum in term T, not that anyone knows it: the voter common to
that quorum and a later leader's voters held the entry when it voted (it
accepted it in term T, and logs after T only lose entries that conflict with
a leader that, by induction, holds it), so the later leader's log is at least
as up to date and holds it too. Hence such a follower may advance its commit
index at once, without waiting for the leader's next message. The catch: a
follower may then know of a commit before the leader does, so the leader
serves reads only once its commit covers every entry it holds (read index =
its last log index, next section).

Reads (leader lease, no log entry, no messages in the common case). A leader
answers a read once (a) its commit index, and applied state, reach its last
log index as of the read's arrival, and (b) it holds a lease: a quorum (itself
plus followers) acknowledged appends the leader sent at or after time s, with
now < s + election_min - lease_margin. Why linearizable: each acknowledging
follower heard from the leader at r >= s and by the vote guard votes for
nobody before r + election_min (its own election timer is >= election_min
too), and any new leader needs a vote from one of them; so until s +
election_min no leader of a higher term exists, nothing commits except
through this leader, and every write acknowledged before the read arrived is
in the leader's log by then, hence in the state it answers from (all nodes of
a Maelstrom run read one monotonic clock; the margin absorbs event delay). If
the lease has lapsed the leader asks its followers to ack now (one round trip,
as etcd's ReadIndex) and answers when they do, or rejects after `read_wait`.
A follower forwards reads to the leader, which answers the client directly: one
server message per read.

One-way cuts (`Links`). Jepsen's majorities-ring nemesis on three nodes leaves
only a->b->c->a: no pair talks both ways, so plain Raft elects nobody for the
whole partition. Every message carries the peers its sender heard from lately;
a node told by a peer that its messages are not arriving sends them through
the third node instead (a raft_relay, passed on once). That costs only a field
while links are symmetric, and two messages per relayed message during a ring.

Messages per op, lin-kv, 3 nodes, --rate 30 (half reads, half writes/cas, a
third of the clients at the leader). A read costs 0 at the leader and 1 (the
forward) at a follower; a write costs an append and its ack at the leader, plus
the forward at a follower: (0 + 2*1)/3 = 0.67 per read, (2 + 2*3)/3 = 2.67 per
write, 1.67 per op. Per second that is 20 forwards + 15 appends + 15 acks; on
top come heartbeats in the gaps (> 0.1 s) of each follower's traffic (about 8/s,
the eager appends alternate between the followers) and an ack per follower
every ~0.2 s of ack silence: about 60/s, 2.0 per op, against the target of 2.5.
Measured on this core by bench/bench_raft_core.py (fake clock, 1 ms mean delay, the
workload and nemesis shape of the real run, 10 seeds): 2.10 median (1.91-2.35)
with partitions, 2.12 without; relaying during rings is included. Heartbeat
0.15 s / ack_every 0.2 s would give ~1.8, at a thinner margin for a loaded
machine. Elections cost two rounds of n - 1 messages.

Flexible quorums (`Raft(..., flexible=True)`; Howard, Malkhi and Spiegelman,
"Flexible Paxos", 2016). Raft's safety needs only that every commit quorum meets
every election quorum. Elections keep a majority, Q1 = n // 2 + 1; commit, the
lease and check-quorum then need only Q2 = n - Q1 + 1 nodes: the same majority
for odd n, but on two nodes the leader alone (and 2 of 4). Why that is safe: a
later leader needs Q1 votes, one of them from every Q2 set, so from a node that
holds each committed entry, and whose vote needs a log at least as up to date
(section 5.4.3's argument, unchanged); the lease holds because that voter either
is the leader, which refuses votes while it leads, or acknowledged it within
election_min and is held by the vote guard. Availability: on two nodes nothing
can elect a replacement without both, majority or not; flexible, the leader keeps
committing while its follower is away, and the follower receives entries with
heartbeats (lazily) instead of before every commit. The cost: one node's memory
holds the newest commits until the next heartbeat.

Compaction (`compact(state)`). The owner hands over its state machine, built
from every applied entry, now and then; the core keeps it as the snapshot and
drops the log up to `applied`, so memory follows the state, not the number of
commands. A follower whose next entry is gone gets the snapshot (raft_snapshot)
and installs it (`ready.snapshot`) unless its commit already covers it; entries
the snapshot covers are committed, hence identical on every log that holds them,
so an append reaching into a follower's compacted part is taken from where its
log starts.

Not here: membership changes, persistence (no Maelstrom fault restarts a node).
"""
import math
import random
from collections import deque, namedtuple
from dataclasses import dataclass, field

FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER = "follower", "pre-candidate", "candidate", "leader"
MESSAGE_TYPES = ("raft_vote", "raft_vote_res", "raft_append", "raft_append_res", "raft_forward",
                 "raft_relay", "raft_snapshot")

Entry = namedtuple("Entry", "term id command")   # id None: a new leader's no-op
Applied = namedtuple("Applied", "index id command owned")
NEVER = -math.inf


@dataclass(frozen=True)
class Timing:
    """The core's timeouts, in seconds (see the module docstring)."""
    election_min: float = 0.4     # also the vote guard and the lease length
    election_max: float = 0.8
    heartbeat: float = 0.1        # leader -> follower after this much silence
    batch: float = 0.01           # at most one append/forward per peer per interval
    ack_every: float = 0.15       # ask a follower to ack when its last ack is older
    broaden_after: float = 0.05   # uncommitted this long: send to every follower
    stall: float = 0.15           # leader: uncommitted this long -> reject commands
    leader_silence: float = 0.25  # follower: leader unheard this long -> reject
    quorum_silence: float = 0.3   # leader: no quorum ack this long -> reject
    lease_margin: float = 0.05
    read_wait: float = 0.3        # a read the leader cannot serve by then: rejected
    link_window: float = 0.3      # a peer unheard this long does not hear us (Links)
    max_entries: int = 1000       # per AppendEntries


@dataclass
class Ready:
    """Effects to carry out, in this order: install the snapshot, apply, answer reads."""
    messages: list = field(default_factory=list)
    applied: list = field(default_factory=list)
    reads: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    snapshot: object = None     # a leader's snapshot: replaces the state machine

    def __bool__(self):
        return bool(self.messages or self.applied or self.reads or self.rejected
                    or self.snapshot is not None)


class Log:
    """The log from index `start` on, indexed and sliced by log index as if it still held
    every entry; len() is one past the last index. Entry `start` is a sentinel holding
    the term of the last entry compacted away (index 0, term 0 before any compaction)."""

    def __init__(self, start=0, term=0):
        self.reset(start, term)

    def reset(self, start, term):
        self.start, self._entries = start, [Entry(term, None, None)]

    def __len__(self):
        return self.start + len(self._entries)

    def _position(self, index):
        if index is None or index < 0:
            return index
        if index < self.start:
            raise IndexError(f"log index {index} is compacted (the log starts at {self.start})")
        return index - self.start

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._entries[self._position(index.start):self._position(index.stop)]
        return self._entries[self._position(index)]

    def __delitem__(self, index):
        assert isinstance(index, slice) and index.stop is None and index.start > self.start
        del self._entries[self._position(index.start):]

    def append(self, entry):
        self._entries.append(entry)

    def __iadd__(self, entries):
        self._entries.extend(entries)
        return self

    def compact(self, index):
        """Drop the entries up to `index`, which becomes the sentinel; return them."""
        cut = self._position(index)
        dropped = self._entries[1:cut + 1]
        self._entries = [Entry(self._entries[cut].term, None, None), *self._entries[cut + 1:]]
        self.start = index
        return dropped


class Links:
    """Which one-way links work, and a detour around those that do not.

    Jepsen's majorities-ring nemesis cuts links one way: on three nodes only
    a->b, b->c and c->a may remain, so no two nodes can talk both ways and no
    quorum forms without help. Every message therefore carries `hears`: the
    peers this node received a direct message from within `window`. A fresh
    report (received within `window`, directly or relayed) from a peer that
    omits us means our messages to it are lost; they then go, wrapped in a
    raft_relay, through another peer that it hears and that does not report
    losing us. The relay passes a message on once and never relays it again.
    A detour would hide a healed link for good (the peer never hears us, so
    never reports us), so every `2 * window` one message that may be lost
    (anything but a forward, which carries client commands) goes direct as a
    probe. Without news (a peer silent or cut off both ways) messages go
    direct: this costs nothing but the field unless a link is cut one way.
    """

    def __init__(self, node_id, peers, window):
        self.id, self.window = node_id, window
        self.heard = dict.fromkeys(peers, NEVER)    # peer -> last direct message
        self.reports = {}                           # peer -> (time, peers it hears)
        self.probed = dict.fromkeys(peers, NEVER)   # peer -> last direct probe

    def hears(self, now):
        return [p for p, t in self.heard.items() if now < t + self.window]

    def note(self, src, body, now, direct=True):
        if direct and src in self.heard:
            self.heard[src] = now
        if "hears" in body:
            self.reports[src] = (now, set(body["hears"]))

    def loses(self, peer, now):
        """True when `peer` recently said it does not hear this node."""
        when, hears = self.reports.get(peer, (NEVER, ()))
        return now < when + self.window and self.id not in hears

    def envelope(self, dest, body, now):
        """The (next hop, body) that carries `body` to `dest`."""
        body = {**body, "hears": self.hears(now)}
        if not self.loses(dest, now):
            return dest, body
        if body["type"] != "raft_forward" and now >= self.probed[dest] + 2 * self.window:
            self.probed[dest] = now
            return dest, body
        _, dest_hears = self.reports[dest]
        relays = [p for p in sorted(dest_hears) if p in self.heard and not self.loses(p, now)]
        if not relays:
            return dest, body
        return relays[0], {"type": "raft_relay", "to": dest, "from": self.id, "body": body,
                           "hears": body["hears"]}


class Raft:
    """One node's Raft state machine; see the module docstring."""

    def __init__(self, node_id, node_ids, timing=None, seed=None, now=0.0, flexible=False):
        self.id = node_id
        self.peers = sorted(n for n in node_ids if n != node_id)
        voters = len(self.peers) + 1
        self.election_quorum = voters // 2 + 1
        # commit, lease and check-quorum: a majority, or (flexible) the fewest nodes that
        # meet every election quorum (see Flexible quorums in the module docstring)
        self.quorum = voters - self.election_quorum + 1 if flexible else self.election_quorum
        self.timing = timing or Timing()
        self.rng = random.Random(node_id if seed is None else seed)
        self.links = Links(node_id, self.peers, self.timing.link_window)
        self.now = now
        self.term = 0
        self.voted_for = None
        self.role = FOLLOWER
        self.leader = None
        self.log = Log()
        self.snapshot = None                       # the state machine at log.start
        self.commit = 0
        self.applied = 0
        self._applied_ids = set()
        self._led_terms = set()
        self._leader_seen = NEVER
        self._election_deadline = now + self._election_timeout()
        self._votes = set()
        self._forward_commands = []
        self._forward_reads = []
        self._forwarded_at = NEVER
        self._reset_leader_state()
        self._ready = Ready()
        if self.election_quorum == 1:
            self._campaign(pre=True)

    # -- queries --------------------------------------------------------------

    @property
    def last_index(self):
        return len(self.log) - 1

    @property
    def last_term(self):
        return self.log[-1].term

    def owns(self, entry_term):
        """True when this node led `entry_term`, so it appended and answers it."""
        return entry_term in self._led_terms

    def take_ready(self):
        """Return the effects gathered since the last call and start afresh."""
        ready, self._ready = self._ready, Ready()
        return ready

    def compact(self, state):
        """Keep `state` - the state machine once every applied entry is applied, in any
        JSON-able form - as the snapshot, and drop the log up to `applied`. A follower
        whose next entry is gone gets the snapshot instead. Ids of dropped entries are
        forgotten: an id proposed again after that would be applied again."""
        for entry in self.log.compact(self.applied):
            self._applied_ids.discard(entry.id)
        self.snapshot = state

    def next_deadline(self):
        """The time by which tick() must be called again (it may be called sooner)."""
        if self.role != LEADER:
            deadline = self._election_deadline
            if self._forward_commands or self._forward_reads:
                deadline = min(deadline, self._forwarded_at + self.timing.batch)
            return deadline
        deadline = self._quorum_time(self._acked_at) + self.timing.election_min
        deadline = min([deadline, *self._send_plan().values()])
        if self._reads:
            deadline = min(deadline, self._reads[0][1])
        return deadline

    def __repr__(self):
        return (f"Raft({self.id} {self.role} term={self.term} leader={self.leader} "
                f"last={self.last_index} commit={self.commit})")

    # -- events ---------------------------------------------------------------

    def propose(self, command_id, command, now):
        """A client command: log it (leader), forward it, or reject it."""
        self._clock(now)
        self._take_command(command_id, command, may_forward=True)

    def read(self, request, now):
        """A client read: serve it when linearizable (leader), forward it, or reject it."""
        self._clock(now)
        self._take_read(request, may_forward=True)

    def tick(self, now):
        """Fire due timers and send what is due."""
        self._clock(now)
        if self.role == LEADER:
            self._lead()
        else:
            if self.now >= self._election_deadline:
                self._campaign(pre=True)
            self._flush_forwards()

    def receive(self, src, body, now):
        """A message from another node (a body of one of MESSAGE_TYPES)."""
        self._clock(now)
        self.links.note(src, body, self.now)
        if body.get("type") == "raft_relay":
            if body["to"] != self.id:           # pass it on, once
                self._ready.messages.append(
                    (body["to"], {**body, "hears": self.links.hears(self.now)}))
                return
            src, body = body["from"], body["body"]
            self.links.note(src, body, self.now, direct=False)
        kind = body.get("type")
        handler = self._HANDLERS.get(kind)
        if handler is None:
            return
        if body.get("term", 0) > self.term and self._adopts_term(kind, body):
            self._become_follower(body["term"], leader=None)
        handler(self, src, body)

    def _clock(self, now):
        self.now = max(self.now, now)

    def _adopts_term(self, kind, body):
        """A higher term is adopted from any message but a pre-vote (which proposes
        a term, not holds it) and a vote request met by the vote guard."""
        return kind != "raft_vote" or not (body["pre"] or self._guarded())

    def _send(self, dest, body):
        self._ready.messages.append(self.links.envelope(dest, body, self.now))

    # -- client commands and reads ------------------------------------------

    def _take_command(self, command_id, command, may_forward):
        if self.role == LEADER and self._accepting():
            self._append(command_id, command)
        elif may_forward and self._can_forward():
            self._forward_commands.append([command_id, command])
        else:
            self._ready.rejected.append(command)

    def _take_read(self, request, may_forward):
        if self.role == LEADER and self._accepting():
            self._reads.append((self.last_index, self.now + self.timing.read_wait, request))
            self._serve_reads()
        elif may_forward and self._can_forward():
            self._forward_reads.append(request)
        else:
            self._ready.rejected.append(request)

    def _can_forward(self):
        return (self.role == FOLLOWER and self.leader is not None
                and self.now <= self._leader_seen + self.timing.leader_silence)

    def _accepting(self):
        """A leader takes new work only while a quorum answers and commits flow."""
        t = self.timing
        if self._quorum_time(self._acked_at) < self.now - t.quorum_silence:
            return False
        return not self._appended_at or self.now - self._appended_at[0][1] < t.stall

    def _flush_forwards(self):
        if not (self._forward_commands or self._forward_reads):
            return
        if not self._can_forward():
            self._ready.rejected.extend(command for _, command in self._forward_commands)
            self._ready.rejected.extend(self._forward_reads)
        elif self.now >= self._forwarded_at + self.timing.batch:
            self._send(self.leader, {"type": "raft_forward", "commands": self._forward_commands,
                                     "reads": self._forward_reads})
            self._forwarded_at = self.now
        else:
            return
        self._forward_commands, self._forward_reads = [], []

    def _on_forward(self, src, body):
        """Forwarded work is logged or queued here, or rejected here: never passed on."""
        for command_id, command in body["commands"]:
            self._take_command(command_id, command, may_forward=False)
        for request in body["reads"]:
            self._take_read(request, may_forward=False)

    # -- elections ------------------------------------------------------------

    def _election_timeout(self):
        return self.rng.uniform(self.timing.election_min, self.timing.election_max)

    def _guarded(self):
        """True while a (pre-)vote request must be refused: this node leads, or heard
        from a leader less than election_min ago (the lease relies on this)."""
        return (self.role == LEADER
                or self.now < self._leader_seen + self.timing.election_min)

    def _campaign(self, pre):
        """Start a pre-vote (term unchanged) or a real election (term + 1)."""
        self._election_deadline = self.now + self._election_timeout()
        self.leader = None
        if pre:
            self.role, term = PRE_CANDIDATE, self.term + 1
        else:
            self.term += 1
            self.role, term, self.voted_for = CANDIDATE, self.term, self.id
        self._votes = {self.id}
        if self._tally():
            return
        body = {"type": "raft_vote", "pre": pre, "term": term,
                "last_index": self.last_index, "last_term": self.last_term}
        for peer in self.peers:
            self._send(peer, body)

    def _tally(self):
        """Move on once a quorum agreed; True when it did."""
        if len(self._votes) < self.election_quorum:
            return False
        if self.role == PRE_CANDIDATE:
            self._campaign(pre=False)
        else:
            self._become_leader()
        return True

    def _on_vote(self, src, body):
        pre = body["pre"]
        up_to_date = (body["last_term"], body["last_index"]) >= (self.last_term, self.last_index)
        if self._guarded() or not up_to_date:
            granted = False
        elif pre:
            granted = body["term"] > self.term
        else:
            granted = body["term"] == self.term and self.voted_for in (None, src)
        if granted and not pre:
            self.voted_for = src
            self._election_deadline = self.now + self._election_timeout()
        if self.role == LEADER and pre:
            self._repair.add(src)       # a follower that lost us: bring it back at once
        self._send(src, {"type": "raft_vote_res", "pre": pre, "term": self.term,
                         "granted": granted})

    def _on_vote_res(self, src, body):
        if not body["granted"]:
            return
        if body["pre"] and self.role == PRE_CANDIDATE:
            self._votes.add(src)
            self._tally()
        elif not body["pre"] and self.role == CANDIDATE and body["term"] == self.term:
            self._votes.add(src)
            self._tally()

    def _become_follower(self, term, leader):
        if term > self.term:
            self.term, self.voted_for = term, None
        was_leader = self.role == LEADER
        self.role, self.leader = FOLLOWER, leader
        if was_leader:
            self._ready.rejected.extend(request for _, _, request in self._reads)
            self._reset_leader_state()
            self._election_deadline = self.now + self._election_timeout()

    def _become_leader(self):
        self.role, self.leader = LEADER, self.id
        self._led_terms.add(self.term)
        self._reset_leader_state()
        for peer in self.peers:
            self._next[peer] = self.last_index + 1
            self._acked_at[peer] = self.now      # a grace period for check-quorum
        self._append(None, None)

    def _reset_leader_state(self):
        peers = self.peers
        self._next = dict.fromkeys(peers, 1)
        self._match = dict.fromkeys(peers, 0)
        self._sent_at = dict.fromkeys(peers, NEVER)
        self._acked_at = dict.fromkeys(peers, NEVER)
        self._lease_from = dict.fromkeys(peers, NEVER)
        self._repair = set()            # followers to send to at their next batch slot
        self._appended_at = deque()     # (index, time) of this leader's uncommitted entries
        self._reads = deque()           # (read index, deadline, request)
        self._lease_asked = NEVER       # when reads last asked for a lease renewal

    # -- leader: replication, commit, reads ---------------------------------

    def _lead(self):
        if self._quorum_time(self._acked_at) + self.timing.election_min <= self.now:
            self._become_follower(self.term, leader=None)   # check-quorum
            return
        self._serve_reads()
        for peer, due in self._send_plan().items():
            if due <= self.now:
                self._send_append(peer)

    def _send_plan(self):
        """When each follower should next get an AppendEntries: a heartbeat after
        `heartbeat` of silence; at its next batch slot if it must be repaired, asked
        for an ack, or is one of the few a quorum needs for new entries; every
        follower lacking entries once they wait `broaden_after` uncommitted."""
        t, now = self.timing, self.now
        plan = {peer: self._sent_at[peer] + t.heartbeat for peer in self.peers}
        lacking = [p for p in self.peers if self._next[p] <= self.last_index]
        for peer in self._repair:
            plan[peer] = self._sent_at[peer] + t.batch
        if self.commit < self.last_index:
            covered = len(self.peers) - len(lacking)
            ranked = sorted(lacking, key=lambda p: (
                self._lease_from[p] < now - t.quorum_silence, self._sent_at[p], p))
            for peer in ranked[:max(0, self.quorum - 1 - covered)]:
                plan[peer] = min(plan[peer], self._sent_at[peer] + t.batch)
            broaden = self._appended_at[0][1] + t.broaden_after if self._appended_at else now
            for peer in lacking:
                plan[peer] = min(plan[peer], max(self._sent_at[peer] + t.batch, broaden))
        return plan

    def _send_append(self, peer):
        start = self._next[peer]
        if start <= self.log.start:
            self._send_snapshot(peer)
            return
        entries = self.log[start:start + self.timing.max_entries]
        last_sent = start - 1 + len(entries)
        ack = (last_sent > self.commit or peer in self._repair
               or self.now - self._acked_at[peer] >= self.timing.ack_every)
        self._send(peer, {"type": "raft_append", "term": self.term, "prev_index": start - 1,
                          "prev_term": self.log[start - 1].term, "entries": entries,
                          "commit": self.commit, "sent": self.now, "ack": ack})
        self._next[peer] = last_sent + 1            # optimistic: refusals correct it
        self._sent_at[peer] = self.now
        self._repair.discard(peer)

    def _send_snapshot(self, peer):
        """The entries `peer` lacks are compacted: send the state they built instead."""
        start = self.log.start
        self._send(peer, {"type": "raft_snapshot", "term": self.term, "index": start,
                          "last_term": self.log[start].term, "state": self.snapshot,
                          "sent": self.now})
        self._next[peer] = start + 1
        self._sent_at[peer] = self.now
        self._repair.discard(peer)

    def _on_append_res(self, src, body):
        if self.role != LEADER or body["term"] != self.term:
            return
        self._acked_at[src] = self.now
        self._lease_from[src] = max(self._lease_from[src], body["sent"])
        if body["success"]:
            self._match[src] = max(self._match[src], body["match"])
            self._next[src] = max(self._next[src], self._match[src] + 1)
            self._advance_commit()
        else:
            self._next[src] = max(self._match[src] + 1, self._retry_index(body))
            self._repair.add(src)
        self._serve_reads()

    def _retry_index(self, body):
        """Where to resume after a refusal: past our last entry of the follower's
        conflicting term if we have that term, else at its first index there."""
        term = body["conflict_term"]
        if term is not None:
            index = self.last_index
            while index > self.log.start and self.log[index].term > term:
                index -= 1
            if self.log[index].term == term:
                return index + 1
        return body["conflict_index"]

    def _advance_commit(self):
        matches = sorted((self._match[p] for p in self.peers), reverse=True)
        candidate = ([self.last_index] + matches)[self.quorum - 1]
        if candidate > self.commit and self.log[candidate].term == self.term:
            self._commit_to(candidate)

    def _quorum_time(self, times):
        """The latest time t such that a quorum (this node counting as now) is at t or later."""
        return sorted([math.inf, *times.values()], reverse=True)[self.quorum - 1]

    def _lease_valid(self):
        t = self.timing
        return self.now < self._quorum_time(self._lease_from) + t.election_min - t.lease_margin

    def _serve_reads(self):
        reads = self._reads
        if not reads:
            return
        lease = self._lease_valid()
        while reads and lease and reads[0][0] <= self.applied:
            self._ready.reads.append(reads.popleft()[2])
        while reads and reads[0][1] <= self.now:
            self._ready.rejected.append(reads.popleft()[2])
        if reads and not lease and self.now >= self._lease_asked + self.timing.broaden_after:
            self._lease_asked = self.now
            self._repair.update(self.peers)     # ask everyone to ack: renew the lease

    # -- follower: appending ----------------------------------------------------

    def _follow(self, src, body):
        """An append or snapshot from `src`: refuse a stale term (False), else follow src."""
        if body["term"] < self.term:
            self._send(src, {"type": "raft_append_res", "term": self.term, "success": False,
                             "sent": body["sent"], "conflict_index": 0, "conflict_term": None})
            return False
        if self.role != FOLLOWER or self.leader != src:
            self._become_follower(body["term"], leader=src)
        self._leader_seen = self.now
        self._election_deadline = self.now + self._election_timeout()
        return True

    def _on_append(self, src, body):
        if not self._follow(src, body):
            return
        prev, prev_term = body["prev_index"], body["prev_term"]
        entries = [Entry(*e) for e in body["entries"]]
        start = self.log.start
        if prev < start:        # compacted here: committed, so the leader's entries match
            prev, prev_term, entries = start, self.log[start].term, entries[start - prev:]
        if prev > self.last_index or self.log[prev].term != prev_term:
            self._refuse_append(src, body, prev)
            return
        match = self._store(prev, entries)
        self._follow_commit(body["commit"], match)
        if body["ack"]:
            self._send(src, {"type": "raft_append_res", "term": self.term, "success": True,
                             "sent": body["sent"], "match": match})

    def _refuse_append(self, src, body, prev):
        if prev > self.last_index:
            index, term = self.last_index + 1, None
        else:
            index, term = prev, self.log[prev].term
            while index - 1 > self.log.start and self.log[index - 1].term == term:
                index -= 1
        self._send(src, {"type": "raft_append_res", "term": self.term, "success": False,
                         "sent": body["sent"], "conflict_index": index, "conflict_term": term})

    def _on_snapshot(self, src, body):
        """Install a leader's snapshot unless our commit already covers it; keep the
        entries after it when ours agree at its index (Raft section 7)."""
        if not self._follow(src, body):
            return
        index, term = body["index"], body["last_term"]
        if index > self.commit:
            applied = self.log[self.log.start + 1:self.applied + 1]
            self._applied_ids.difference_update(entry.id for entry in applied)
            if index <= self.last_index and self.log[index].term == term:
                self.log.compact(index)
            else:
                self.log.reset(index, term)
            self.commit = self.applied = index
            self.snapshot = self._ready.snapshot = body["state"]
            self._ready.applied = []        # what they would have built, it replaces
        self._send(src, {"type": "raft_append_res", "term": self.term, "success": True,
                         "sent": body["sent"], "match": index})

    def _store(self, prev, entries):
        """Append after `prev`, dropping our suffix from the first conflict only (a
        late, shorter AppendEntries must not cut entries it does not contradict)."""
        index = prev
        for entry in entries:
            index += 1
            if index <= self.last_index:
                if self.log[index].term == entry.term:
                    continue
                assert index > self.commit, "a committed entry conflicts with the leader"
                del self.log[index:]
            self.log.append(entry)
        return index

    def _follow_commit(self, leader_commit, match):
        """Commit what the leader says is committed, up to what matches it; in a
        cluster of <= 3, also up to `match` when that entry is of this term (the
        follower-commit rule of the module docstring)."""
        target = min(leader_commit, match)
        if self.quorum <= 2 and self.log[match].term == self.term:
            target = max(target, match)
        if target > self.commit:
            self._commit_to(target)

    # -- commit and apply ----------------------------------------------------

    def _append(self, command_id, command):
        self.log.append(Entry(self.term, command_id, command))
        self._appended_at.append((self.last_index, self.now))
        if self.quorum == 1:
            self._commit_to(self.last_index)

    def _commit_to(self, index):
        self.commit = index
        while self._appended_at and self._appended_at[0][0] <= index:
            self._appended_at.popleft()
        while self.applied < self.commit:
            self.applied += 1
            entry = self.log[self.applied]
            if entry.id is None or entry.id in self._applied_ids:
                continue
            self._applied_ids.add(entry.id)
            self._ready.applied.append(Applied(self.applied, entry.id, entry.command,
                                               self.owns(entry.term)))
        if self.role == LEADER:
            self._serve_reads()

    _HANDLERS = {"raft_vote": _on_vote, "raft_vote_res": _on_vote_res,
                 "raft_append": _on_append, "raft_append_res": _on_append_res,
                 "raft_forward": _on_forward, "raft_snapshot": _on_snapshot}
