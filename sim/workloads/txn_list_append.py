"""Maelstrom's txn-list-append workload: transactions over lists that grow by appends.

Generator and client: sim.workloads.txn (Elle's wr-txns with appends; `txn` -> `txn_ok`, each
read filled in with the key's list, or null when the key is missing; appends echoed). Keys and
elements may be any JSON value, as Maelstrom's schema allows; an ok reply whose micro-ops do not
answer the request is caught by the checker.
Checker: sim.checkers.list_append (Elle's list-append inference) over the sim.elle engine, for
every consistency model Elle knows (default strict-serializable). No probe: a list's reads
already carry its whole order of appends.
"""

from sim.checkers import list_append
from sim.schema import Eq, Either, Nullable
from sim.workloads.txn import TxnWorkload

READ = (Eq("r"), object, Nullable([object]))
APPEND = (Eq("append"), object, object)
TXN_OK = {"txn": [Either(READ, APPEND)]}


class TxnListAppend(TxnWorkload):
    name = "txn-list-append"
    write_f = "append"
    reply_schema = TXN_OK

    @staticmethod
    def judge(history, opts, probe):
        return list_append.check(history, opts.consistency_models)


WORKLOAD = TxnListAppend
