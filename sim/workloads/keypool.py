"""Elle's wr-txns key pool (elle/txn.clj: key-dist-scale, rand-key, fresh-key, wr-txns), shared
by txn-rw-register, kafka and list-append.

A pool of `key_count` active keys, 0..key_count-1 at first. Each micro-op is a read or a write
with equal odds (Elle's rand-nth [:r :w]) on a key drawn from the pool exponentially with
Elle's default base 2: slot i is twice as likely as slot i - 1, so the last slot takes about
half the draws (Maelstrom never sets another base).
Writes to a key carry 1, 2, 3, ... (unique per key); a key whose next write would be number
max_writes + 1 is swapped, in its slot, for a fresh key (the largest active key + 1), and the
micro-op is drawn again. Maelstrom passes --key-count (10) and --max-writes-per-key (16).
"""

import math

KEY_COUNT = 10
MAX_WRITES_PER_KEY = 16
BASE = 2


class KeyPool:
    def __init__(self, rng, key_count=KEY_COUNT, max_writes=MAX_WRITES_PER_KEY):
        self.rng = rng
        self.max_writes = max_writes
        self.active = list(range(key_count))
        self.next_value = {}
        # Elle's key-dist-scale: a uniform x in [2, 2 + scale) has log2(x) - 1 in [0, key_count).
        self.scale = (BASE ** key_count - 1) * BASE / (BASE - 1)

    def key(self):
        """An active key; slot i is twice as likely as slot i - 1 (Elle's rand-key)."""
        x = self.rng.random() * self.scale + BASE
        slot = int(math.floor(math.log(x) / math.log(BASE) - 1))
        return self.active[min(slot, len(self.active) - 1)]

    def mop(self):
        """One micro-op: ["r", k, None] or ["w", k, v]."""
        while True:
            f = self.rng.choice(("r", "w"))
            k = self.key()
            if f == "r":
                return ["r", k, None]
            v = self.next_value.get(k, 1)
            if v <= self.max_writes:
                self.next_value[k] = v + 1
                return ["w", k, v]
            self.active[self.active.index(k)] = max(self.active) + 1

    def txn(self, min_length, max_length):
        """A transaction of min_length..max_length micro-ops (Elle's wr-txns)."""
        return [self.mop() for _ in range(self.rng.randint(min_length, max_length))]
