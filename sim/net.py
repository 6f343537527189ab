"""The simulated network: latency, per-destination delivery queues, partitions, stats.

Every endpoint (node process, client, service) registers a `deliver(src, body, raw)` callable
under its id. `send` counts the message (as Maelstrom's journal does, at send time), picks a
deadline (zero latency when a client is involved) and puts it on the destination's queue,
ordered by (deadline, sequence).

Each destination drains its queue the way Maelstrom's per-node receive thread does: take the
earliest message; if the destination holds a grudge against its source, drop it (still counted
as sent); otherwise wait until its deadline (truncated to whole milliseconds, like
Thread/sleep) and deliver it, then take the next. While it waits for one message, nothing else
reaches that destination: a client request arriving meanwhile is delivered after it.

An optional journal (sim.journal) records sends, deliveries and drops for the run report.
"""

import heapq


class NetError(Exception):
    """A message that cannot be routed (unknown source or destination)."""


def is_client(node_id):
    return node_id[:1] == "c" and node_id[1:].isdigit()


class LatencyModel:
    """Maelstrom's --latency / --latency-dist, in milliseconds."""

    def __init__(self, mean_ms, dist, rng):
        self.mean = mean_ms
        self.dist = dist
        self.rng = rng

    def sample_ms(self):
        if self.mean <= 0:
            return 0
        if self.dist == "uniform":             # incanter's integer-distribution: [0, 2·mean)
            return self.rng.randrange(0, max(1, int(2 * self.mean)))
        if self.dist == "exponential":
            return int(self.rng.expovariate(1.0 / self.mean))
        return int(self.mean)


class Counter:
    __slots__ = ("send", "recv")

    def __init__(self):
        self.send = 0
        self.recv = 0


class Net:
    def __init__(self, loop, latency, clock, journal=None):
        self.loop = loop
        self.latency = latency
        self.clock = clock              # () -> seconds, the loop's monotonic clock
        self.endpoints = {}             # id -> deliver(src, body, raw)
        self.queues = {}                # id -> heap of (deadline, seq, src, body, raw, client)
        self.waiting = {}               # id -> TimerHandle while it waits for a deadline
        self.ready = []                 # ids with new messages and no timer
        self.scheduled = False
        self.partitions = {}            # dest -> set of srcs it drops
        self.seq = 0
        self.frozen = False
        self.stats = {"clients": Counter(), "servers": Counter()}
        self.dirty = []                 # endpoints with buffered output (see NodeProcess.flush)
        self.lateness = {True: [], False: []}   # client?, seconds delivered after deadline
        self.journal = journal          # sim.journal.Journal for the run report, or None

    # -- endpoints -------------------------------------------------------------------------
    def add(self, node_id, deliver):
        self.endpoints[node_id] = deliver
        self.queues[node_id] = []

    def remove(self, node_id):
        self.endpoints.pop(node_id, None)
        self.queues.pop(node_id, None)
        timer = self.waiting.pop(node_id, None)
        if timer is not None:
            timer.cancel()

    # -- sending ---------------------------------------------------------------------------
    def send(self, src, dest, body, raw=None):
        """Queue a message; raises NetError for an unknown source or destination."""
        if src not in self.endpoints:
            raise NetError(f"Invalid source for message {src!r}")
        queue = self.queues.get(dest)
        if queue is None:
            raise NetError(f"Invalid dest for message {dest!r}")
        client = is_client(src) or is_client(dest)
        if not self.frozen:
            (self.stats["clients"] if client else self.stats["servers"]).send += 1
        deadline = self.clock()
        if not client:
            deadline += self.latency.sample_ms() / 1000.0
        entry = self.journal.sent(src, dest, body, client) if self.journal else None
        self.seq += 1
        heapq.heappush(queue, (deadline, self.seq, src, body, raw, client, entry))
        if dest not in self.waiting:
            self.ready.append(dest)
            if not self.scheduled:
                self.scheduled = True
                self.loop.call_soon(self._pump)

    # -- delivery --------------------------------------------------------------------------
    def _pump(self):
        self.scheduled = False
        ready, self.ready = self.ready, []
        now = self.clock()
        for dest in ready:
            if dest not in self.waiting:
                self._drain(dest, now)
        self._flush()

    def _drain(self, dest, now):
        queue = self.queues.get(dest)
        while queue:
            deadline, _, src, body, raw, client, entry = heapq.heappop(queue)
            if src in self.partitions.get(dest, ()):
                if entry is not None:
                    self.journal.dropped(entry)
                continue
            wait_ms = int((deadline - now) * 1000)
            if wait_ms >= 1:
                self.waiting[dest] = self.loop.call_at(now + wait_ms / 1000.0, self._wake, dest,
                                                       src, body, raw, client, deadline, entry)
                return
            self._deliver(dest, src, body, raw, client, deadline, entry)

    def _wake(self, dest, src, body, raw, client, deadline, entry):
        self.waiting.pop(dest, None)
        self._deliver(dest, src, body, raw, client, deadline, entry)
        self._drain(dest, self.clock())
        self._flush()

    def _deliver(self, dest, src, body, raw, client, deadline, entry=None):
        deliver = self.endpoints.get(dest)
        if deliver is None:
            return                      # the destination went away
        if entry is not None:
            self.journal.delivered(entry)
        if not self.frozen:
            (self.stats["clients"] if client else self.stats["servers"]).recv += 1
            self.lateness[client].append(self.clock() - deadline)
        deliver(src, body, raw)

    def _flush(self):
        if self.dirty:
            dirty, self.dirty = self.dirty, []
            for endpoint in dirty:
                endpoint.flush()

    # -- partitions ------------------------------------------------------------------------
    def partition(self, grudge):
        """grudge: dest -> iterable of srcs to drop."""
        self.partitions = {dest: set(srcs) for dest, srcs in grudge.items() if srcs}

    def heal(self):
        self.partitions = {}

    # -- stats -----------------------------------------------------------------------------
    def freeze(self):
        self.frozen = True
        if self.journal:
            self.journal.freeze()

    def lateness_ms(self):
        """Quantiles of delivery time minus deadline, for server and client messages. For
        server messages that is the delay the simulator adds beyond the simulated latency
        (slightly negative: Maelstrom's whole-millisecond sleeps); client messages also wait
        behind a message their node is waiting for, as in Maelstrom."""
        return {"servers": quantiles([x * 1000.0 for x in self.lateness[False]]),
                "clients": quantiles([x * 1000.0 for x in self.lateness[True]])}

    def snapshot(self):
        c, s = self.stats["clients"], self.stats["servers"]
        return {
            "all": {"send_count": c.send + s.send, "recv_count": c.recv + s.recv,
                    "msg_count": c.send + s.send},
            "clients": {"send_count": c.send, "recv_count": c.recv, "msg_count": c.send},
            "servers": {"send_count": s.send, "recv_count": s.recv, "msg_count": s.send},
        }


def quantiles(values, points=(0.5, 0.95, 0.99, 1)):
    """Jepsen-style quantiles (the value at floor(n * q)) rounded to 0.001, or None."""
    if not values:
        return None
    values = sorted(values)
    n = len(values)
    return {str(q): round(values[min(n - 1, int(n * q))], 3) for q in points}

