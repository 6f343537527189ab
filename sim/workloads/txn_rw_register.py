"""Maelstrom's txn-rw-register workload: transactions over integer registers.

Generator and client: sim.workloads.txn (Elle's wr-txns; `txn` -> `txn_ok` with reads filled
in, ints or null).

Probe (simulator-only): after the run, every key is read on every node until the nodes agree
(or 5 s pass); the final state is the checker's last source of version order.
Checker: sim.checkers.rw_register (Elle's rw-register inference) over the sim.elle engine, for
every consistency model Elle knows, including dirty writes (G0) Maelstrom cannot see.
"""

import asyncio

from sim.checkers import rw_register
from sim.schema import Nullable
from sim.workloads.base import ClientError, SchemaError
from sim.workloads.txn import TxnWorkload

TXN_OK = {"txn": [(str, int, Nullable(int))]}
PROBE_WAIT = 5.0  # seconds the probe waits for nodes to agree on the final state
PROBE_CHUNK = 4
PROBE_TIMEOUT = 1.0  # seconds per probe read

# --- workload -----------------------------------------------------------------------------

class TxnRwRegister(TxnWorkload):
    name = "txn-rw-register"
    reply_schema = TXN_OK

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        self.keys = set()

    def next_op(self, process, now):
        op = super().next_op(process, now)
        self.keys.update(k for _, k, _ in op["value"])
        return op

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
    def judge(history, opts, probe):
        return rw_register.check(history, opts.consistency_models, probe)


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
