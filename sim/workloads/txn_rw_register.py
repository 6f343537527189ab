"""Maelstrom's txn-rw-register workload: transactions over integer registers.

Client: `txn {txn: [[f, k, v], ...]}` -> `txn_ok {txn}` with reads filled in (ints or null).
The client is reusable after an info (no reopen), and no op is idempotent.

Generator (Elle's wr-txns, as Maelstrom configures it): 1..4 micro-ops per transaction
(--max-txn-length) from the shared key pool (sim.workloads.keypool: 10 keys, 16 writes per
key). No final phase.

Probe (simulator-only): after the run, every key is read on every node until the nodes agree
(or 5 s pass); the final state is the checker's last source of version order.
Checker: sim.checkers.rw_register (Elle's rw-register inference) over the sim.elle engine, for
every consistency model Elle knows, including dirty writes (G0) Maelstrom cannot see.
"""

import asyncio
import time

from sim.checkers import rw_register
from sim.schema import Nullable
from sim.workloads.base import ClientError, SchemaError, Workload
from sim.workloads.keypool import KEY_COUNT, MAX_WRITES_PER_KEY, KeyPool

MAX_TXN_LENGTH = 4
TXN_OK = {"txn": [(str, int, Nullable(int))]}
PROBE_WAIT = 5.0  # seconds the probe waits for nodes to agree on the final state
PROBE_CHUNK = 4
PROBE_TIMEOUT = 1.0  # seconds per probe read

# --- workload -----------------------------------------------------------------------------

class TxnRwRegister(Workload):
    name = "txn-rw-register"
    reopen_after_info = False
    idempotent = frozenset()

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.pool = KeyPool(
            rng,
            key_count=getattr(opts, "key_count", None) or KEY_COUNT,
            max_writes=getattr(opts, "max_writes_per_key", None) or MAX_WRITES_PER_KEY)
        self.max_length = getattr(opts, "max_txn_length", None) or MAX_TXN_LENGTH
        self.keys = set()

    def next_op(self, process, now):
        txn = self.pool.txn(1, self.max_length)
        self.keys.update(k for _, k, _ in txn)
        return {"f": "txn", "value": txn}

    async def invoke(self, client, op, process):
        reply = await client.call({"type": "txn", "txn": op["value"]}, "txn_ok", TXN_OK)
        return {"type": "ok", "value": reply["txn"]}

    async def probe(self, open_client, node_ids):
        """Read every key on every node until the nodes agree (or PROBE_WAIT passes)."""
        keys = sorted(self.keys)
        clients = {node: open_client(node) for node in node_ids}
        deadline = asyncio.get_running_loop().time() + PROBE_WAIT
        while True:
            states = {node: await read_all(c, keys) for node, c in clients.items()}
            if agreed(states) or asyncio.get_running_loop().time() >= deadline:
                return {"final": {node: sorted(s.items()) for node, s in states.items()}}
            await asyncio.sleep(0.5)

    @staticmethod
    def check(history, opts, probe=None):
        started = time.perf_counter()
        result = rw_register.check(history, opts.consistency_models, probe)
        result["check_ms"] = round((time.perf_counter() - started) * 1000)
        return result


async def read_all(client, keys):
    """{key: value} as one node sees it; after a failed read the rest are left out."""
    state = {}
    for i in range(0, len(keys), PROBE_CHUNK):
        txn = [["r", k, None] for k in keys[i:i + PROBE_CHUNK]]
        try:
            reply = await client.call({"type": "txn", "txn": txn}, "txn_ok", TXN_OK,
                                      timeout=PROBE_TIMEOUT)
        except (ClientError, SchemaError):
            return state
        for f, k, v in reply["txn"]:
            state[k] = v
    return state


def agreed(states):
    views = list(states.values())
    return all(view == views[0] for view in views)


WORKLOAD = TxnRwRegister
