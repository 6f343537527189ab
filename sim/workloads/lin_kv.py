"""Maelstrom's lin-kv workload: independent linearizable registers, one key per thread group.

Client (Maelstrom's lin_kv.clj): `read {key}` -> `read_ok {value}` (any value, null too);
`write {key, value}` -> `write_ok`; `cas {key, from, to}` -> `cas_ok` (error 20: no such key,
22: the value is not `from`). Timeout max(10 x --latency, 1000) ms. A read that errs or times
out fails (reads are idempotent); a write or cas fails on a definite error and is info
otherwise; a malformed reply is info. The client stays open after an info (Maelstrom's is
reusable); the worker still gets a new process. History values are [key, value] tuples: a
read [k, v] (invoked as [k, null]), a write [k, v], a cas [k, [from, to]].

Generator (jepsen.tests.linearizable-register inside jepsen.independent's concurrent
generator, as Jepsen 0.3.7 runs it for Maelstrom):
  - worker threads form groups of 2n contiguous threads (n nodes), so --concurrency must be a
    multiple of 2n (else the run refuses to start); group g starts on key g, and a group whose
    key retires takes the next key never used (keys 0, 1, 2, ...);
  - inside a group, gen/reserve gives threads 0..n-1 the reads and the rest write (1/3) or
    cas (2/3), values uniform in 0..4. Reserve numbers its ranges from thread 0 whatever
    threads it is given (fixed only in Jepsen 0.3.14), so only group 0 has readers: in every
    other group all 2n threads write or cas. Maelstrom's calibration histories show exactly
    that: with --concurrency 4n on 3 nodes, key 1 (threads 6..11) is never read;
  - per op, the group is drawn at random among those with a free thread (Jepsen's
    soonest-op-map: every group's op is due now, ties broken in proportion to thread counts,
    equal here), then, in group 0, reads or writes the same way (n threads each), then the
    range's thread is the context's fair choice (WorkerChoice.first_free);
  - gen/process-limit 20: a key retires once the processes of its group's threads, counted
    over every op the key issued, would exceed 20; since a thread gets a new process after
    each info, that is the (21 - 2n)th info among the group's ops on that key. No op cap per
    key, no final phase.

Checker: sim.checkers.linearizable per key, Knossos's cas-register from nil (or from
`sim check --initial`), each key's search bounded by --linearizability-timeout (past it the key,
and the run, are "unknown"). A history whose values are not [key, value] tuples, as in
Knossos's data files, is one register (its result's only key is null).
The result lists, under "errors", each key that is not linearizable with its explanation and
the op it names, so the report links to that op.
"""

from sim.checkers import linearizable
from sim.workloads.base import OptionsError, Workload

PROCESS_LIMIT = 20
VALUES = 5
READ_OK = {"value": object}
WRITE_OK = {}
CAS_OK = {}


def group_size(opts):
    return 2 * len(opts.node_ids)


class Group:
    """One key group: its threads, its reader range, its key and the processes it has used."""

    def __init__(self, threads, readers, key):
        self.threads = threads
        self.readers = readers & threads
        self.writers = threads - readers
        self.start(key, ())

    def start(self, key, processes):
        self.key = key
        self.used = set(processes)

    def current(self, processes):
        return {processes[t] for t in self.threads}


class LinKV(Workload):
    name = "lin-kv"
    reopen_after_info = False
    idempotent = frozenset({"read"})

    @classmethod
    def check_options(cls, opts):
        size = group_size(opts)
        if opts.concurrency % size:
            raise OptionsError(
                f"lin-kv runs one key per group of 2n = {size} threads, so --concurrency must "
                f"be a multiple of {size} (it is {opts.concurrency})")

    def __init__(self, opts, rng):
        super().__init__(opts, rng)
        size = group_size(opts)
        readers = frozenset(range(size // 2))
        self.groups = [Group(frozenset(range(g * size, (g + 1) * size)), readers, g)
                       for g in range(max(1, opts.concurrency // size))]
        self.next_key = len(self.groups)
        self.timeout = max(10 * opts.latency, 1000) / 1000.0

    def pick_worker(self, choice):
        free = choice.free
        groups = [g for g in self.groups if g.threads & free]
        group = self.rng.choice(groups)
        ranges = [r for r in (group.readers, group.writers) if r & free]
        worker = choice.first_free(self.rng.choice(ranges))
        self.retire_if_spent(group, choice.processes)
        return worker

    def retire_if_spent(self, group, processes):
        """gen/process-limit: the group's processes so far and now; past 20, a new key."""
        current = group.current(processes)
        if len(group.used | current) > PROCESS_LIMIT:
            group.start(self.next_key, ())
            self.next_key += 1
        group.used |= current

    def next_op(self, process, now):
        worker = process % self.opts.concurrency
        group = self.groups[worker // group_size(self.opts)]
        if worker in group.readers:
            return {"f": "read", "value": [group.key, None]}
        f = self.rng.choice(("write", "cas", "cas"))
        if f == "write":
            return {"f": f, "value": [group.key, self.rng.randrange(VALUES)]}
        return {"f": f, "value": [group.key, [self.rng.randrange(VALUES),
                                              self.rng.randrange(VALUES)]]}

    async def invoke(self, client, op, process):
        key, arg = op["value"]
        f = op["f"]
        if f == "read":
            reply = await client.call({"type": "read", "key": key}, "read_ok", READ_OK,
                                      timeout=self.timeout)
            return {"type": "ok", "value": [key, reply["value"]]}
        if f == "write":
            body, reply_type, schema = {"type": "write", "key": key, "value": arg}, "write_ok", WRITE_OK
        else:
            body, reply_type, schema = {"type": "cas", "key": key, "from": arg[0], "to": arg[1]}, \
                "cas_ok", CAS_OK
        await client.call(body, reply_type, schema, timeout=self.timeout)
        return {"type": "ok", "value": op["value"]}

    @staticmethod
    def check(history, opts, probe=None):
        result = linearizable.check_history(history, initial=getattr(opts, "initial", None),
                                            timeout_s=opts.linearizability_timeout)
        result["key_count"] = len(result["results"])
        result["errors"] = [
            {"key": key, "op": r["op"], "states": r["states"],
             "explanation": f"{'register' if key is None else f'key {key}'}: {r['explanation']}"}
            for key, r in result["results"].items() if r["valid"] is False]
        return result


WORKLOAD = LinKV
