"""Elle's wr-txns key pool, shared by txn-rw-register and kafka."""

import random
from collections import Counter

from sim.workloads.keypool import KeyPool


def test_slot_i_is_twice_as_likely_as_slot_i_minus_1():
    pool = KeyPool(random.Random(2), key_count=4)
    draws = Counter(pool.key() for _ in range(40000))
    for slot in range(4):
        assert abs(draws[slot] / 40000 - 2 ** slot / 15) < 0.01


def test_txns_mix_reads_and_writes_and_a_spent_key_is_replaced_in_its_slot():
    pool = KeyPool(random.Random(4), key_count=3, max_writes=2)
    txns = [pool.txn(1, 3) for _ in range(300)]
    assert {len(t) for t in txns} == {1, 2, 3}
    mops = [m for t in txns for m in t]
    assert 0.4 < sum(f == "w" for f, _, _ in mops) / len(mops) < 0.6
    writes = Counter(k for f, k, _ in mops if f == "w")
    assert set(writes.values()) <= {1, 2} and max(writes) > 10
    assert len(pool.active) == 3 and pool.active == sorted(pool.active)
