"""Linearizability of a lin-kv history, key by key, against Knossos's cas-register model.

Model (Knossos `cas-register`, initial value nil unless given): a write sets the value; a cas
[from to] needs the current value to equal `from`; a read must return the current value,
except that a nil read matches anything. Failed ops never happened and are dropped. An
indefinite (:info, or never completed) write or cas may take effect at any time after its
invocation, or never; an indefinite read tells nothing and is dropped, as is an ok nil read.
Ops come paired by sim.history (a raw Jepsen-shaped list is paired there first).

Search: Wing & Gong's backtracking as improved by Lowe (the design of Knossos's `wgl` and of
Porcupine), one register at a time (P-compositionality: a history of independent keys is
linearizable iff each key's sub-history is). A configuration is (ok ops linearized, as an
int bitset; register value; indefinite ops spent):
  - ok ops are numbered in the order they returned. The lowest-numbered unlinearized op p
    blocks: the next op linearized must have been invoked before p returned (the ops "open"
    at p's return, precomputed). This is WGL's "calls before the first remaining return" of
    its linked list of call/return entries, read off the bitset instead;
  - indefinite ops never block (their return is at +infinity). They are "tokens" grouped by
    kind, (f, value); tokens of a kind are interchangeable, so a configuration records only
    how many of each kind were spent. A token is spent lazily: only when a read or cas is
    not allowed by the current value, as a chain (an optional write token, then cas tokens)
    that takes the register to the value that op needs, and only if invoked before p
    returned. Any linearization can be rearranged into one of that shape, with no more
    tokens. The search succeeds once every ok op is linearized: unspent tokens never took
    effect (or took effect after everything);
  - the cache of configurations seen prunes any configuration that a seen one dominates:
    same ok ops, same value, and at most as many tokens spent of every kind (unspent tokens
    only widen what can follow), so one that cannot succeed is never explored again;
  - a plain depth-first search spends tokens as soon as they help, which is fast on a
    linearizable history; past EAGER_CONFIGS configurations (possible only with tokens) the
    search restarts in order of tokens spent, so that no configuration is explored again
    each time a way to reach it with fewer tokens turns up (see Search.search).
When the search fails, every deepest configuration is stuck on the same op p: the
explanation names it, how many ok ops (all those that returned before it) were linearized,
and the register values that those configurations held.

Bounds: a per-key deadline (`timeout_s`) and a cap on configurations explored (`max_configs`);
either exceeded gives "unknown" for that key, never a hang. Results merge false > unknown >
true, as Jepsen's do.
"""

import time
from bisect import bisect_left
from collections import namedtuple

from sim.history import History

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MAX_CONFIGS = 1_000_000
MAX_STATES_SHOWN = 8
CHECK_EVERY = 1024  # search nodes between deadline checks
MAX_CHAINS = 10_000  # ways to reach one value through indefinite ops, before giving up
MAX_MEMO = 100_000  # remembered chain searches
EAGER_CONFIGS = 20_000  # configurations for the plain depth-first search (see Search.search)

# One operation of one register, after pairing: f is "read"|"write"|"cas"; value is the
# read's result, the written value, or a [from, to] pair; ret is None for an indefinite op.
# call/ret are positions in the paired history's events (real-time order); the indexes are the ops'
# own "index" fields, for reports.
Call = namedtuple("Call", "f value process call ret invoke_index complete_index")

_BAD = object()  # the model's "inconsistent"


# --- the ops of a paired history ----------------------------------------------------------

def calls_of(history):
    """Client ops of a paired history (sim.history.History) as Call records, in invocation
    order; call and ret are positions in its real-time sequence of events.

    Reads take the completion's value, writes and cas the invocation's. Failed ops are
    dropped; an :info completion, or an invocation never completed, gives ret=None. A
    completion nobody invoked is ignored."""
    at = {}
    for pos, (op, invoked) in enumerate(history.events):
        at[id(op), invoked] = pos
    calls = []
    for op in history.ops:
        if op.invocation is None or op.type == "fail":
            continue
        ok = op.type == "ok"
        value = op.value if ok and op.f == "read" else op.invoke_value
        calls.append(Call(op.f, value, op.process, at[id(op), True],
                          at[id(op), False] if ok else None, op.invoke_index,
                          op.index if op.completion is not None else None))
    return calls


def paired(history):
    """A sim.history.History, from a raw Jepsen-shaped history if need be."""
    return history if isinstance(history, History) else History(history)


def is_independent(calls):
    """Whether every value is a jepsen.independent [key, value] tuple."""
    return bool(calls) and all(
        isinstance(c.value, (list, tuple)) and len(c.value) == 2
        and (c.f != "cas" or isinstance(c.value[1], (list, tuple)))
        for c in calls)


def split_by_key(calls):
    by_key = {}
    for c in calls:
        key, value = c.value
        by_key.setdefault(frozen(key), []).append(c._replace(value=value))
    return by_key


def invoked_keys(history):
    return {frozen(op.invoke_value[0]) for op in history.ops
            if op.invocation is not None and isinstance(op.invoke_value, (list, tuple))
            and len(op.invoke_value) == 2}


def frozen(x):
    return tuple(frozen(v) for v in x) if isinstance(x, (list, tuple)) else x


# --- entry points -------------------------------------------------------------------------

def check_history(history, initial=None, timeout_s=DEFAULT_TIMEOUT_S,
                  max_configs=DEFAULT_MAX_CONFIGS):
    """Check a history of a cas-register (a sim.history.History, or the raw Jepsen-shaped
    list): per key when its values are [key, value] tuples (lin-kv), else as one register."""
    started = time.monotonic()
    history = paired(history)
    calls = calls_of(history)
    if is_independent(calls):
        by_key = dict.fromkeys(invoked_keys(history), [])  # keys whose ops all failed too
        by_key.update(split_by_key(calls))
        results = {key: check_calls(sub, initial, timeout_s, max_configs)
                   for key, sub in sorted(by_key.items(), key=lambda kv: repr(kv[0]))}
    else:
        results = {None: check_calls(calls, initial, timeout_s, max_configs)}
    return summarize(results, started)


def check_register(ops, initial=None, timeout_s=DEFAULT_TIMEOUT_S, max_configs=DEFAULT_MAX_CONFIGS):
    """Check one register's history (as Knossos's data files hold; raw or paired)."""
    return check_calls(calls_of(paired(ops)), initial, timeout_s, max_configs)


def summarize(results, started):
    failures = [k for k, r in results.items() if r["valid"] is False]
    unknown = [k for k, r in results.items() if r["valid"] == "unknown"]
    valid = False if failures else ("unknown" if unknown else True)
    return {"valid": valid, "failures": failures, "unknown_keys": unknown,
            "results": results, "check_ms": elapsed_ms(started)}


def elapsed_ms(started):
    return int((time.monotonic() - started) * 1000)


def check_calls(calls, initial=None, timeout_s=DEFAULT_TIMEOUT_S, max_configs=DEFAULT_MAX_CONFIGS):
    """One register's paired ops -> {"valid": True|False|"unknown", ...}."""
    oks = sorted((c for c in calls if c.ret is not None and not (c.f == "read" and c.value is None)),
                 key=lambda c: c.ret)
    infos = [c for c in calls if c.ret is None and c.f != "read"]
    for c in oks + infos:
        if c.f not in ("read", "write", "cas"):
            raise ValueError(f"not a cas-register op: {c}")
        if c.f == "cas" and not (isinstance(c.value, (list, tuple)) and len(c.value) == 2):
            raise ValueError(f"a cas needs [from, to], got {c}")
    started = time.monotonic()
    search = Search(oks, infos, frozen(initial), started + timeout_s, max_configs)
    outcome = search.run()
    result = {"valid": outcome, "ok_ops": len(oks), "indefinite_ops": len(infos),
              "configs": search.config_count, "check_ms": elapsed_ms(started)}
    if outcome == "unknown":
        result["cause"] = search.cause
    elif outcome is False:
        result.update(search.explain())
    return result


# --- the search ---------------------------------------------------------------------------

READ, WRITE, CAS = 0, 1, 2


def encode(c):
    """(code, a, b) for the model's step: read a / write a / cas a -> b."""
    if c.f == "read":
        return READ, frozen(c.value), None
    if c.f == "write":
        return WRITE, frozen(c.value), None
    return CAS, frozen(c.value[0]), frozen(c.value[1])


def step(state, code, a, b):
    if code == READ:
        return state if a is None or a == state else _BAD
    if code == WRITE:
        return a
    return b if state == a else _BAD


class GiveUp(Exception):
    """The search ran out of its budget; the message is the cause."""


class Overrun(Exception):
    """The first, plain depth-first search ran past EAGER_CONFIGS."""


class Tokens:
    """Indefinite ops grouped by kind ((code, a, b)); a kind's tokens are interchangeable.

    Spent counts are packed into one int: each kind has a field wide enough for its count
    plus a guard bit, so `dominated` compares every field at once."""

    def __init__(self, infos):
        by_kind = {}
        for c in infos:
            by_kind.setdefault(encode(c), []).append(c.call)
        self.kinds = sorted(by_kind, key=lambda k: min(by_kind[k]))
        self.calls = [sorted(by_kind[k]) for k in self.kinds]
        self.shift, self.mask, guard, offset = [], [], 0, 0
        for calls in self.calls:
            width = len(calls).bit_length() + 1
            self.shift.append(offset)
            self.mask.append((1 << (width - 1)) - 1)
            guard |= 1 << (offset + width - 1)
            offset += width
        self.guard = guard
        self.memo = {}

    def __bool__(self):
        return bool(self.kinds)

    def available(self, spent, frontier):
        """Kinds with a token invoked before `frontier` and not yet spent, as a tuple."""
        out = []
        for t, calls in enumerate(self.calls):
            if calls[0] > frontier:
                break
            if bisect_left(calls, frontier) > (spent >> self.shift[t]) & self.mask[t]:
                out.append(t)
        return tuple(out)

    def dominated(self, spent, seen):
        """Whether some count vector in seen is <= spent in every field."""
        g = self.guard
        high = spent | g
        return any((high - d) & g == g for d in seen)

    def record(self, spent, seen):
        """Add spent to seen unless dominated, keeping seen an antichain; True if added."""
        if len(seen) == 1 and seen[0] == spent or self.dominated(spent, seen):
            return False
        g = self.guard
        seen[:] = [d for d in seen if ((d | g) - spent) & g != g]
        seen.append(spent)
        return True

    def chains(self, state, goal, available):
        """Ways to take the register from `state` to `goal` with tokens of the available
        kinds: an optional write token, then a simple path of cas tokens. Each way is an
        increment of the spent counts; none includes another (it would only waste tokens)."""
        key = (state, goal, available)
        if key not in self.memo:
            if len(self.memo) > MAX_MEMO:
                self.memo.clear()
            self.memo[key] = self.find_chains(state, goal, available)
        return self.memo[key]

    def find_chains(self, state, goal, available):
        writes, cas = [], {}
        for t in available:
            code, a, b = self.kinds[t]
            if code == WRITE:
                writes.append((a, 1 << self.shift[t]))
            elif a != b:
                cas.setdefault(a, []).append((b, 1 << self.shift[t]))
        found = []
        starts = [(state, 0)] + writes
        for start, used in starts:
            self.paths(start, goal, used, {start}, cas, found)
        found.sort(key=lambda inc: bin(inc).count("1"))
        minimal = []
        for inc in found:
            if not self.dominated(inc, minimal):
                minimal.append(inc)
        return minimal

    def paths(self, at, goal, used, visited, cas, found):
        if at == goal:
            if used:
                found.append(used)
            return
        if len(found) > MAX_CHAINS:
            raise GiveUp("chain-limit")
        for b, inc in cas.get(at, ()):
            if b not in visited:
                visited.add(b)
                self.paths(b, goal, used + inc, visited, cas, found)
                visited.discard(b)


class Search:
    """The search over one register's ok ops (numbered in return order) and tokens."""

    def __init__(self, oks, infos, initial, deadline, max_configs):
        self.oks = oks
        self.ops = [encode(c) for c in oks]
        self.tokens = Tokens(infos)
        self.initial = initial
        self.deadline = deadline
        self.max_configs = max_configs
        self.cause = None
        self.config_count = 0  # configurations explored, over both searches
        self.order = concurrent_orders(oks)

    def candidates(self, linearized, state):
        """[ok ops that may be linearized next, reversed; the frontier; None], or None when
        every ok op is linearized. The first unlinearized op p (lowest id: ops are numbered
        in return order) blocks: an op may go next only if invoked before p returned."""
        p = (~linearized & (linearized + 1)).bit_length() - 1
        if p == len(self.oks):
            return None
        if p > self.best:
            self.best, self.best_states = p, [state]
        elif p == self.best and state not in self.best_states:
            self.best_states.append(state)
        todo = [x for x in self.order[p] if not linearized >> x & 1]
        return [todo, self.oks[p].ret, None]

    def moves(self, x, state, spent, node):
        """[(state after op x, spent counts, tokens used)]: x applied directly, or, when it
        is a read or cas the state does not allow, after each way indefinite ops could have
        fixed that. node is [todo, frontier, available token kinds or None until needed]."""
        code, a, b = self.ops[x]
        after = step(state, code, a, b)
        if after is not _BAD:
            return [(after, spent, 0)]
        if not self.tokens:
            return []
        after = a if code == READ else b
        if node[2] is None:
            node[2] = self.tokens.available(spent, node[1])
        chains = self.tokens.chains(state, a, node[2])
        return [(after, spent + inc, bin(inc).count("1")) for inc in reversed(chains)]

    def run(self):
        """True, False, or "unknown" (see self.cause)."""
        try:
            return self.search()
        except GiveUp as e:
            self.cause = str(e)
            return "unknown"

    def search(self):
        """First a plain depth-first search that spends tokens as soon as they help: quick
        when the history is linearizable. If it has not finished within EAGER_CONFIGS
        configurations (only possible with tokens), search again in order of tokens spent:
        the depth-first search follows only moves that spend none, and a move that spends k
        tokens waits in level (current + k). Then a configuration is always first reached
        with the fewest tokens it can be reached with and never explored again with more,
        where the plain search can explore a configuration again and again as it finds ways
        to reach it with fewer tokens."""
        self.visits = 0
        self.start()
        try:
            return self.depth_first(0, self.initial, 0, limit=EAGER_CONFIGS if self.tokens else None)
        except Overrun:
            pass
        self.start()
        levels = {0: [(0, self.initial, 0)]}
        while levels:
            level = min(levels)
            for linearized, state, spent in levels.pop(level):
                if spent in self.cache[(linearized, state)] and \
                        self.depth_first(linearized, state, spent, level, levels):
                    return True
        return False

    def start(self):
        self.cache = {(0, self.initial): [0]}
        self.config_count += 1
        self.best, self.best_states = -1, []  # the lowest unlinearized op at the deepest nodes

    def depth_first(self, linearized, state, spent, level=0, levels=None, limit=None):
        """Search from a configuration; token-spending moves go to `levels` if given."""
        record = self.tokens.record
        cache = self.cache
        node = self.candidates(linearized, state)
        moves, x = [], None
        stack = []
        while True:
            if node is None:
                return True
            self.visits += 1
            if self.visits % CHECK_EVERY == 0 and time.monotonic() > self.deadline:
                raise GiveUp("timeout")
            todo = node[0]
            while moves or todo:
                if not moves:
                    x = todo.pop()
                    moves = self.moves(x, state, spent, node)
                    continue
                state2, spent2, used = moves.pop()
                linearized2 = linearized | (1 << x)
                key = (linearized2, state2)
                seen = cache.get(key)
                if seen is None:
                    cache[key] = [spent2]
                elif not record(spent2, seen):
                    continue
                self.config_count += 1
                if self.config_count > self.max_configs:
                    raise GiveUp("config-limit")
                if limit is not None and self.config_count > limit:
                    raise Overrun()
                if used and levels is not None:
                    levels.setdefault(level + used, []).append((linearized2, state2, spent2))
                    continue
                stack.append((linearized, state, spent, node, moves, x))
                linearized, state, spent = linearized2, state2, spent2
                node = self.candidates(linearized, state)
                moves = []
                break
            else:
                if not stack:
                    return False
                linearized, state, spent, node, moves, x = stack.pop()

    def explain(self):
        c = self.oks[self.best]
        states = sorted(self.best_states, key=repr)
        shown = ", ".join(map(show, states[:MAX_STATES_SHOWN]))
        more = f" (and {len(states) - MAX_STATES_SHOWN} more)" if len(states) > MAX_STATES_SHOWN else ""
        tokens = ", and no pending indefinite write or cas fits" if self.tokens else ""
        return {
            "op": {"process": c.process, "f": c.f, "value": c.value,
                   "invoke_index": c.invoke_index, "index": c.complete_index},
            "linearized": self.best,
            "states": [list(s) if isinstance(s, tuple) else s for s in states],
            "explanation": (f"{c.f} {show(c.value)} by process {c.process} (ops {c.invoke_index}-"
                            f"{c.complete_index}) cannot be linearized: after the {self.best} "
                            f"ok ops that returned before it, the register could hold only "
                            f"{shown}{more}{tokens}"),
        }


def concurrent_orders(oks):
    """For each ok op p (oks sorted by return): the ops open when p returned (p itself and
    the later-returning ops invoked before), in reverse invocation order (the search pops
    from the end)."""
    events = sorted([(c.call, i) for i, c in enumerate(oks)] + [(c.ret, ~i) for i, c in enumerate(oks)])
    open_ops, orders = set(), []
    for _, i in events:
        if i >= 0:
            open_ops.add(i)
        else:
            orders.append(sorted(open_ops, key=lambda o: -oks[o].call))
            open_ops.discard(~i)
    return orders


def show(x):
    return "nil" if x is None else repr(list(x) if isinstance(x, tuple) else x)
