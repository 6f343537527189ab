"""The network journal: what the run report needs to draw the messages, in bounded memory.

Maelstrom journals every send and receive and draws them all, up to a cap. A simulator run can
send tens of thousands of messages a second (kafka at rate 1000, a 25-node broadcast), so the
journal keeps whole messages only where the report draws them, plus counts for everything:

  windows   messages sent within each requested window of test time (seconds since the main
            phase began), the first KEEP of each, and how many were sent in it in all;
  tail      without a requested window: the first SECONDS (window (-inf, SECONDS], which
            takes in the setup messages such as broadcast's topology) and a ring of the last
            KEEP messages, of which the export keeps those of the last SECONDS of the run;
  traffic   client / server messages sent and messages dropped, per BUCKET seconds;
  pairs     messages per (source, destination), clients folded into one "clients" lane;
  types     messages per body type.
Init and init_ok are counted but never kept (Maelstrom leaves them out of its diagram).
Nothing is recorded once the net is frozen (the probe and the shutdown are not part of the
test). Times are the loop's clock; `export` makes them relative to `origin`, which the runner
sets when the main phase begins.
"""

import math
from collections import Counter, deque

from sim.net import is_client

KEEP = 1000             # messages kept per window (the diagram draws what is kept)
SECONDS = 2.0           # the default windows: the first and the last seconds
BUCKET = 0.1            # seconds per traffic bucket
SKIPPED_TYPES = ("init", "init_ok")


class Message:
    """One message: sent at `sent`, then delivered or dropped at `done` (None: in flight)."""

    __slots__ = ("sent", "done", "dropped", "src", "dest", "body")

    def __init__(self, sent, src, dest, body):
        self.sent, self.done, self.dropped = sent, None, False
        self.src, self.dest, self.body = src, dest, body

    def export(self, origin):
        done = None if self.done is None else round(self.done - origin, 6)
        return {"sent": round(self.sent - origin, 6), "done": done, "dropped": self.dropped,
                "src": self.src, "dest": self.dest, "body": self.body}


class Window:
    __slots__ = ("start", "end", "kept", "total")

    def __init__(self, start, end):
        self.start, self.end, self.kept, self.total = start, end, [], 0


class Journal:
    def __init__(self, clock, window=None, keep=KEEP):
        """window: (start, end) seconds of test time to keep, or None for the default first and
        last SECONDS."""
        self.clock = clock
        self.keep = keep
        self.origin = None
        if window is None:
            self.windows = [Window(-math.inf, SECONDS)]
            self.tail = deque(maxlen=keep)
        else:
            self.windows = [Window(*window)]
            self.tail = None
        self.traffic = {}               # bucket -> [client msgs, server msgs, drops]
        self.pairs = {}                 # (src, dest) -> messages
        self.types = {}                 # body type -> messages
        self.frozen = False
        self.last = None

    def sent(self, src, dest, body, client):
        """Record a send; returns the Message to pass to `delivered`/`dropped`, or None."""
        if self.frozen:
            return None
        now = self.clock()
        self.last = now
        kind = body.get("type") if isinstance(body, dict) else None
        self.types[kind] = self.types.get(kind, 0) + 1
        pair = (src, dest)
        self.pairs[pair] = self.pairs.get(pair, 0) + 1
        self._count(now, 0 if client else 1)
        if kind in SKIPPED_TYPES:
            return None
        message = Message(now, src, dest, body)
        t = -0.0 if self.origin is None else now - self.origin
        for window in self.windows:
            if window.start <= t <= window.end:
                window.total += 1
                if len(window.kept) < self.keep:
                    window.kept.append(message)
        if self.tail is not None:
            self.tail.append(message)
        return message

    def delivered(self, message):
        if not self.frozen:
            message.done = self.clock()

    def dropped(self, message):
        if not self.frozen:
            message.done = self.clock()
            message.dropped = True
            self._count(message.done, 2)

    def _count(self, now, column):
        if self.origin is None:
            return
        bucket = math.floor((now - self.origin) / BUCKET)
        row = self.traffic.get(bucket)
        if row is None:
            row = self.traffic[bucket] = [0, 0, 0]
        row[column] += 1

    def freeze(self):
        self.frozen = True

    def export(self):
        """A JSON-able dict with times in seconds since the origin (the report's input)."""
        origin = self.origin if self.origin is not None else 0.0
        windows = [{"start": None if w.start == -math.inf else w.start, "end": w.end,
                    "total": w.total, "messages": [m.export(origin) for m in w.kept]}
                   for w in self.windows]
        if self.tail:
            head_ids = {id(m) for m in self.windows[0].kept}
            tail = [m for m in self.tail if id(m) not in head_ids
                    and m.sent >= self.last - SECONDS]
            if tail:
                capped = len(self.tail) == self.tail.maxlen and \
                    self.tail[0].sent >= self.last - SECONDS
                windows.append({"start": round(self.last - SECONDS - origin, 6),
                                "end": round(self.last - origin, 6), "total": len(tail),
                                "messages": [m.export(origin) for m in tail], "tail": True,
                                "capped": capped})
        return {
            "windows": windows,
            "bucket": BUCKET,
            "traffic": {str(b): row for b, row in sorted(self.traffic.items())},
            "pairs": [[src, dest, n] for (src, dest), n in sorted(self.lane_pairs().items())],
            "types": dict(sorted(self.types.items(), key=lambda kv: -kv[1])),
        }


    def lane_pairs(self):
        """Messages per (source, destination) with every client folded into "clients"."""
        out = Counter()
        for (src, dest), n in self.pairs.items():
            out[(_lane(src), _lane(dest))] += n
        return out


def _lane(node_id):
    return "clients" if is_client(node_id) else node_id
