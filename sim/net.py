"""The simulated network: latency, per-destination delivery in deadline order, partitions, stats.

Every endpoint (node process, client, service) registers a `deliver(src, body, raw)` callable
under its id. `send` counts the message (as Maelstrom's journal does, at send time), picks a
deadline (zero latency when a client is involved) and queues it. Delivery happens from one
global heap ordered by (deadline, sequence): per destination that is deadline order with FIFO
on ties. A message whose source the destination currently holds a grudge against is dropped on
receipt; it still counts as sent.
"""

import heapq
import json


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
        if self.dist == "uniform":
            return self.rng.randint(0, int(2 * self.mean))
        if self.dist == "exponential":
            return int(self.rng.expovariate(1.0 / self.mean))
        return int(self.mean)


class Counter:
    __slots__ = ("send", "recv")

    def __init__(self):
        self.send = 0
        self.recv = 0


class Net:
    def __init__(self, loop, latency, clock):
        self.loop = loop
        self.latency = latency
        self.clock = clock              # () -> seconds, the loop's monotonic clock
        self.endpoints = {}             # id -> deliver(src, body, raw)
        self.partitions = {}            # dest -> set of srcs it drops
        self.heap = []
        self.seq = 0
        self.timer = None
        self.timer_at = None
        self.soon = False
        self.frozen = False
        self.stats = {"clients": Counter(), "servers": Counter()}
        self.flushers = []              # called after each delivery batch (batched stdin writes)

    # -- endpoints -------------------------------------------------------------------------
    def add(self, node_id, deliver):
        self.endpoints[node_id] = deliver

    def remove(self, node_id):
        self.endpoints.pop(node_id, None)

    # -- sending ---------------------------------------------------------------------------
    def send(self, src, dest, body, raw=None):
        """Queue a message; raises NetError for an unknown source or destination."""
        if src not in self.endpoints:
            raise NetError(f"Invalid source for message {src!r}")
        if dest not in self.endpoints:
            raise NetError(f"Invalid dest for message {dest!r}")
        client = is_client(src) or is_client(dest)
        if not self.frozen:
            (self.stats["clients"] if client else self.stats["servers"]).send += 1
        now = self.clock()
        if client:
            deadline = now
        else:
            deadline = now + self.latency.sample_ms() / 1000.0
        self.seq += 1
        heapq.heappush(self.heap, (deadline, self.seq, src, dest, body, raw, client))
        self._schedule(deadline, now)

    def _schedule(self, deadline, now):
        if deadline <= now:
            if not self.soon:
                self.soon = True
                self.loop.call_soon(self._pump)
            return
        if self.timer_at is None or deadline < self.timer_at:
            if self.timer is not None:
                self.timer.cancel()
            self.timer_at = deadline
            self.timer = self.loop.call_at(deadline, self._pump)

    # -- delivery --------------------------------------------------------------------------
    def _pump(self):
        self.soon = False
        self.timer = None
        self.timer_at = None
        heap = self.heap
        now = self.clock()
        # The loop wakes up to a millisecond early or late; deliver what is due within 0.5 ms.
        horizon = now + 0.0005
        while heap and heap[0][0] <= horizon:
            _, _, src, dest, body, raw, client = heapq.heappop(heap)
            self._deliver(src, dest, body, raw, client)
        for flush in self.flushers:
            flush()
        if heap:
            self._schedule(heap[0][0], self.clock())

    def _deliver(self, src, dest, body, raw, client):
        if src in self.partitions.get(dest, ()):
            return
        deliver = self.endpoints.get(dest)
        if deliver is None:
            return                      # the destination went away while the message flew
        if not self.frozen:
            (self.stats["clients"] if client else self.stats["servers"]).recv += 1
        deliver(src, body, raw)

    # -- partitions ------------------------------------------------------------------------
    def partition(self, grudge):
        """grudge: dest -> iterable of srcs to drop."""
        self.partitions = {dest: set(srcs) for dest, srcs in grudge.items() if srcs}

    def heal(self):
        self.partitions = {}

    # -- stats -----------------------------------------------------------------------------
    def freeze(self):
        self.frozen = True

    def snapshot(self):
        c, s = self.stats["clients"], self.stats["servers"]
        return {
            "all": {"send_count": c.send + s.send, "recv_count": c.recv + s.recv,
                    "msg_count": c.send + s.send},
            "clients": {"send_count": c.send, "recv_count": c.recv, "msg_count": c.send},
            "servers": {"send_count": s.send, "recv_count": s.recv, "msg_count": s.send},
        }


def encode(src, dest, body):
    """One protocol line, as bytes."""
    return (json.dumps({"src": src, "dest": dest, "body": body}, separators=(",", ":"))
            + "\n").encode()
