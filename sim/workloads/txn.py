"""What Maelstrom's two transactional workloads (txn-rw-register, txn-list-append) share: Elle's
wr-txns generator over the shared key pool and the `txn` client.

Generator: 1..--max-txn-length (4) micro-ops per transaction from sim.workloads.keypool (10
keys, 16 writes per key), reads and writes 50/50; a write is ["w", k, v] for registers and
["append", k, v] for lists (Elle's append-txns renames it). No final phase.
Client: `txn {txn: [[f, k, v], ...]}` -> `txn_ok {txn}` with reads filled in. The client is
reusable after an info (no reopen), and no op is idempotent: a timeout or an indefinite error
is info, a definite error fail.
"""

import time

from sim.workloads.base import Workload
from sim.workloads.keypool import KEY_COUNT, MAX_WRITES_PER_KEY, KeyPool

MAX_TXN_LENGTH = 4


class TxnWorkload(Workload):
    reopen_after_info = False
    idempotent = frozenset()
    write_f = "w"
    reply_schema = None   # the txn_ok body's schema (sim.schema)

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.pool = KeyPool(
            rng,
            key_count=getattr(opts, "key_count", None) or KEY_COUNT,
            max_writes=getattr(opts, "max_writes_per_key", None) or MAX_WRITES_PER_KEY)
        self.max_length = getattr(opts, "max_txn_length", None) or MAX_TXN_LENGTH

    def next_op(self, process, now):
        txn = [[f if f == "r" else self.write_f, k, v]
               for f, k, v in self.pool.txn(1, self.max_length)]
        return {"f": "txn", "value": txn}

    async def invoke(self, client, op, process):
        reply = await client.call({"type": "txn", "txn": op["value"]}, "txn_ok",
                                  self.reply_schema)
        return {"type": "ok", "value": reply["txn"]}

    @classmethod
    def check(cls, history, opts, probe=None):
        started = time.perf_counter()
        result = cls.judge(history, opts, probe)
        result["check_ms"] = round((time.perf_counter() - started) * 1000)
        return result

    @staticmethod
    def judge(history, opts, probe):
        """The datatype checker's result over the paired history (sim.checkers)."""
        raise NotImplementedError
