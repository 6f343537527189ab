"""Orchestration: processes, init, clients, the stagger generator, the nemesis, the history.

The shape of a run, as Maelstrom's (core.clj + Jepsen's generator):
  1. start the services and one subprocess per node; init each node from its own client
     (c0..c{n-1}), init_ok within 10 s;
  2. workload.setup (e.g. broadcast's topology);
  3. main phase for --time-limit seconds: one global stagger schedule (the next op is due a
     uniform [0, 2/rate) after the previous one, or after the moment a worker became free when
     all were busy) hands ops to free workers, round-robin as Jepsen's context does; worker i
     talks to node i mod n, one request at a time; the partition nemesis runs alongside;
  4. only if the workload has final ops: heal the network, wait 10 s for recovery, then each
     worker runs its final ops, asked for one at a time;
  5. Maelstrom's teardown (TEARDOWN_S, nodes still running and their messages still counted),
     then net stats are frozen, the network is healed if still cut (simulator-only),
     workload.probe runs, the nodes are stopped, the checkers run.
"""

import asyncio
import itertools
import json
import os
import random
import sys
import time

from sim import report
from sim.check import results as check_results
from sim.journal import Journal
from sim.nemesis import PartitionNemesis
from sim.net import LatencyModel, Net, NetError
from sim.nodes import NodeProcess, node_argv
from sim.schema import validate_reply
from sim.services import start_services
from sim.workloads import WorkloadUnavailable, load
from sim.workloads.base import ClientError, OptionsError, SchemaError, Timeout, WorkerChoice

INIT_TIMEOUT = 10.0
CLIENT_TIMEOUT = 5.0
# Maelstrom kills the nodes only after the last op has completed and it has closed the clients,
# torn down the nemesis and written the history (Jepsen's run!: "Run complete, writing", then
# the DB teardown, where process.clj's stop-node! destroys each process); its net journal
# records every message sent until then. Maelstrom's logs show 40-47 ms from the last
# completion to "Tearing down". That window matters for periodic gossip: read from Maelstrom's
# gset_gossip_p history, the nodes' 30th once-a-second rounds fall at 29.92-30.0 s, mostly
# after the final reads (29.95 s), and all 30 rounds were counted.
TEARDOWN_S = 0.045
PHASE_LABELS = {"recovery": "  waiting for recovery", "final": "  final ops"}


class StartupError(Exception):
    """A node that cannot start, init or be set up: exit 2."""


class Client:
    """A Maelstrom client: one id, bound to one node, one request at a time."""

    def __init__(self, run, client_id, node):
        self.run = run
        self.id = client_id
        self.node = node
        self.next_msg_id = 0
        self.calls = 0
        self.waiting = None             # (msg_id, future)
        self.closed = False
        run.net.add(client_id, self.deliver)

    def deliver(self, src, body, raw):
        waiting = self.waiting
        if waiting is None or body.get("in_reply_to") != waiting[0]:
            return                      # a late reply to an earlier request: ignored
        if not waiting[1].done():
            waiting[1].set_result(body)

    async def call(self, body, reply_type, schema, timeout=CLIENT_TIMEOUT):
        if self.closed:
            raise RuntimeError(f"client {self.id} is closed")
        if self.waiting is not None:
            raise RuntimeError(f"client {self.id} already has a request in flight")
        self.next_msg_id += 1
        self.calls += 1
        msg_id = self.next_msg_id
        body = dict(body)
        body["msg_id"] = msg_id
        loop = self.run.loop
        future = loop.create_future()
        self.waiting = (msg_id, future)
        timer = loop.call_later(timeout, _expire, future)
        try:
            try:
                self.run.net.send(self.id, self.node, body)
            except NetError as e:
                raise ClientError(1, str(e)) from None
            reply = await future
        finally:
            timer.cancel()
            self.waiting = None
        if reply is None:
            raise Timeout()
        return self.check_reply(body, reply, reply_type, schema)

    def check_reply(self, request, reply, reply_type, schema):
        rtype = reply.get("type")
        if rtype == "error":
            code = reply.get("code")
            text = str(reply.get("text", ""))
            if not _is_int(code):           # Maelstrom: an unknown error, indefinite
                raise ClientError(13, f"error reply with code {code!r}: {text}")
            raise ClientError(code, text)
        if rtype != reply_type:
            self.schema_error(request, reply, f"expected a {reply_type!r} reply")
        problem = validate_reply(reply, schema)
        if problem is None and not isinstance(reply.get("in_reply_to"), int):
            problem = "in_reply_to must be an int"
        if problem is None and "msg_id" in reply and not _is_int(reply["msg_id"]):
            problem = "msg_id must be an int"
        if problem:
            self.schema_error(request, reply, problem)
        return reply

    def schema_error(self, request, reply, problem):
        text = (f"malformed reply from {self.node} to {self.id}: {problem}; "
                f"request {json.dumps(request)}, reply {json.dumps(reply)}")
        self.run.error(text)
        raise SchemaError(text)

    def close(self):
        self.closed = True
        self.run.net.remove(self.id)


def _expire(future):
    if not future.done():
        future.set_result(None)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Run:
    def __init__(self, opts):
        self.opts = opts
        master = random.Random(opts.seed)
        self.rng_workload = random.Random(master.random())
        self.rng_gen = random.Random(master.random())
        self.rng_net = random.Random(master.random())
        self.rng_nemesis = random.Random(master.random())
        self.rng_services = random.Random(master.random())
        self.node_ids = opts.node_ids
        self.history = []
        self.errors = []
        self.exceptions = []
        self.next_client = 0
        self.clients = []               # per worker
        self.processes = []             # per worker
        self.t0 = None
        self.phase = "starting"
        self.invoked = 0
        self.nodes = {}

    # -- bookkeeping ---------------------------------------------------------------------------
    def error(self, text):
        if text not in self.errors:
            self.errors.append(text)

    def node_error(self, node_id, text):
        self.error(text)

    def now_ns(self):
        return int((self.loop.time() - self.t0) * 1e9)

    def record(self, op):
        op["index"] = len(self.history)
        op["time"] = self.now_ns()
        self.history.append(op)
        return op

    def record_nemesis(self, type_, f, value, invoke=False):
        self.record({"type": type_, "f": f, "value": value, "process": "nemesis", "final": False})

    def open_client(self, node):
        client = Client(self, f"c{self.next_client}", node)
        self.next_client += 1
        return client

    # -- the run ------------------------------------------------------------------------------
    async def main(self):
        self.loop = asyncio.get_running_loop()
        opts = self.opts
        self.workload = load(opts.workload)(opts, self.rng_workload)
        self.net = Net(self.loop, LatencyModel(opts.latency, opts.latency_dist, self.rng_net),
                       self.loop.time, Journal(self.loop.time, opts.report_window))
        start_services(self.net, self.rng_services)
        self.run_dir = report.make_run_dir(opts)
        try:
            await self.start_nodes()
            await self.init_nodes()
            await self.setup()
            self.t0 = self.net.journal.origin = self.loop.time()
            progress = self.loop.create_task(self.progress()) if opts.progress else None
            await self.main_phase()
            await self.final_phase()
            self.duration = self.loop.time() - self.t0
            await asyncio.sleep(TEARDOWN_S)
            self.net.freeze()
            self.phase = "checking"
            if progress:
                progress.cancel()
                _progress_done()
            if self.net.partitions:
                self.heal()                 # simulator-only: the probe reads a healed cluster
            extra = await self.probe()
        finally:
            await self.stop_nodes()
        return extra

    async def start_nodes(self):
        argv = node_argv(self.opts.bin, self.opts.bin_args)
        if not os.path.exists(argv[0]):
            raise StartupError(f"node binary {self.opts.bin} does not exist")
        for node_id in self.node_ids:
            node = NodeProcess(node_id, self.net,
                               os.path.join(self.run_dir, "node-logs", f"{node_id}.log"),
                               self.opts.log_stderr, self.node_error)
            self.nodes[node_id] = node
            try:
                await node.start(argv)
            except OSError as e:
                raise StartupError(f"cannot start node {node_id} ({self.opts.bin}): "
                                   f"{e.strerror or e}") from None

    async def init_nodes(self):
        self.phase = "init"
        clients = [self.open_client(n) for n in self.node_ids]
        results = await asyncio.gather(*(self.init_one(c) for c in clients),
                                       return_exceptions=True)
        for client in clients:
            client.close()
        for r in results:
            if isinstance(r, BaseException):
                raise r

    async def init_one(self, client):
        body = {"type": "init", "node_id": client.node, "node_ids": list(self.node_ids)}
        call = self.loop.create_task(client.call(body, "init_ok", object, timeout=INIT_TIMEOUT))
        exited = self.nodes[client.node].protocol.exited
        await asyncio.wait([call, exited], return_when=asyncio.FIRST_COMPLETED)
        if not call.done():
            call.cancel()
            raise StartupError(f"node {client.node} exited before answering init: "
                               f"{self._exit_note(client.node)}")
        try:
            call.result()
        except Timeout:
            detail = "; ".join(self.errors) or self._exit_note(client.node)
            raise StartupError(f"node {client.node} did not answer init within "
                               f"{INIT_TIMEOUT:g} s{': ' + detail if detail else ''}") from None
        except (ClientError, SchemaError) as e:
            raise StartupError(f"node {client.node} failed init: {e}") from None

    def _exit_note(self, node_id):
        node = self.nodes[node_id]
        if node.exited():
            code = node.transport.get_returncode()
            log = os.path.join(self.run_dir, "node-logs", f"{node_id}.log")
            return f"the process exited with code {code} (see {log})"
        return ""

    async def setup(self):
        self.phase = "setup"
        try:
            await self.workload.setup(self.open_client, list(self.node_ids))
        except (ClientError, SchemaError) as e:
            raise StartupError(f"workload setup failed: {e}") from None

    # -- main phase ---------------------------------------------------------------------------
    async def main_phase(self):
        self.phase = "main"
        opts = self.opts
        n = len(self.node_ids)
        self.processes = list(range(opts.concurrency))
        self.clients = [self.open_client(self.node_ids[w % n]) for w in range(opts.concurrency)]
        self.free = set(range(opts.concurrency))
        self.next_thread = 0
        self.freed = asyncio.Event()
        self.tasks = set()
        self.end = self.t0 + opts.time_limit
        nemesis = None
        if "partition" in opts.nemesis:
            nemesis = self.loop.create_task(self.nemesis_loop())
        if opts.rate > 0:
            await self.generate()
        else:
            await asyncio.sleep(max(0.0, self.end - self.loop.time()))
        if nemesis:
            nemesis.cancel()
            try:
                await nemesis
            except asyncio.CancelledError:
                pass
        if self.tasks:
            await asyncio.gather(*self.tasks)

    async def generate(self):
        loop = self.loop
        mean_gap = 1.0 / self.opts.rate
        next_t = self.t0
        exhausted = set()
        while True:
            if loop.time() >= self.end:
                return
            while not (self.free - exhausted):
                self.freed.clear()
                remaining = self.end - loop.time()
                if remaining <= 0:
                    return
                try:
                    await asyncio.wait_for(self.freed.wait(), remaining)
                except asyncio.TimeoutError:
                    return
            now = loop.time()
            if next_t >= now:
                op_t, next_t = next_t, next_t + self.rng_gen.uniform(0, 2 * mean_gap)
            else:
                op_t, next_t = now, now + self.rng_gen.uniform(0, 2 * mean_gap)
            if op_t >= self.end:
                return
            if op_t > now:
                await asyncio.sleep(op_t - now)
            w = self.workload.pick_worker(
                WorkerChoice(frozenset(self.free - exhausted), self.processes, self.first_free))
            op = self.workload.next_op(self.processes[w], self.now_ns())
            if op is None:
                exhausted.add(w)
                if len(exhausted) == len(self.processes):
                    return
                continue
            self.free.discard(w)
            task = loop.create_task(self.run_worker_op(w, op))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def first_free(self, workers):
        """Jepsen's context: the first free thread of `workers` at or after a cursor that
        advances by one per op handed out (threads are the workers plus the nemesis), wrapping
        around. A context restricted to some threads (a key group, a reserved range) shares
        the cursor."""
        count = len(self.processes)
        start = self.next_thread
        for i in itertools.chain(range(start, count), range(0, start)):
            if i in workers and i in self.free:
                self.next_thread = (start + 1) % (count + 1)
                return i
        raise RuntimeError(f"no free worker among {sorted(workers)}")

    def bump_thread_cursor(self):
        """The nemesis thread taking an op advances the cursor too."""
        self.next_thread = (self.next_thread + 1) % (len(self.processes) + 1)

    async def run_worker_op(self, w, op, final=False):
        try:
            await self.perform(w, op, final)
        finally:
            overhead = self.opts.client_overhead / 1000.0
            if overhead > 0:
                self.loop.call_later(overhead, self.free_worker, w)
            else:
                self.free_worker(w)

    def free_worker(self, w):
        """The worker can take the next op. Maelstrom (Jepsen's interpreter and worker threads,
        its network threads and journal) spends about a millisecond per op beyond the node's
        own time; --client-overhead keeps a worker busy that long after each op completes, so
        op throughput at high rates matches Maelstrom's (calibration rows ids, kafka_5a,
        txn_6a) without adding anything to the recorded op latencies."""
        self.free.add(w)
        self.freed.set()

    async def perform(self, w, op, final=False):
        """Run one op on worker w, record invoke and completion; returns the completion."""
        process = self.processes[w]
        client = self.clients[w]
        f = op["f"]
        invoke = {"type": "invoke", "f": f, "value": op.get("value"), "process": process,
                  "final": bool(final or op.get("final"))}
        self.record(invoke)
        self.invoked += 1
        completion = await self.invoke(client, op, process)
        done = {"type": completion["type"], "f": f,
                "value": completion.get("value", op.get("value")), "process": process}
        if "error" in completion:
            done["error"] = completion["error"]
        done["final"] = invoke["final"]
        self.record(done)
        if done["type"] == "info":
            self.crash_worker(w)
        return done

    async def invoke(self, client, op, process):
        try:
            completion = await self.workload.invoke(client, op, process)
        except ClientError as e:
            workload = self.workload
            definite = workload.definite_errors and (e.definite or op["f"] in workload.idempotent)
            return {"type": "fail" if definite else "info", "error": [e.code, e.text]}
        except SchemaError as e:
            return {"type": "info", "error": str(e)}
        except Exception as e:              # a workload bug: keep going, report it
            self.exceptions.append(f"{type(e).__name__}: {e} (op {op!r})")
            return {"type": "info", "error": f"{type(e).__name__}: {e}"}
        if not isinstance(completion, dict) or completion.get("type") not in ("ok", "fail", "info"):
            self.exceptions.append(f"invoke returned {completion!r} for op {op!r}")
            return {"type": "info", "error": "bad completion"}
        return completion

    def crash_worker(self, w):
        """Jepsen's crash semantics: a new process number; a new client unless reusable."""
        self.processes[w] += self.opts.concurrency
        if self.workload.reopen_after_info:
            node = self.clients[w].node
            self.clients[w].close()
            self.clients[w] = self.open_client(node)

    async def nemesis_loop(self):
        nemesis = PartitionNemesis(self.net, self.node_ids, self.rng_nemesis,
                                   self.opts.nemesis_interval, self.record_nemesis)
        self.nemesis = nemesis
        t = self.t0
        start = True
        while t < self.end:
            delay = t - self.loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.loop.time() >= self.end:
                return
            nemesis.start() if start else nemesis.stop()
            self.bump_thread_cursor()
            start = not start
            t += nemesis.next_delay()

    # -- final phase --------------------------------------------------------------------------
    async def final_phase(self):
        """Maelstrom heals, waits and runs a final generator only for workloads that have one
        (broadcast, g-set, g-counter, pn-counter, kafka): those declaring final_phase."""
        if not self.workload.final_phase:
            return
        self.heal()
        self.phase = "recovery"
        await asyncio.sleep(self.opts.recovery_wait)
        self.phase = "final"
        await asyncio.gather(*(self.run_finals(w) for w in self.final_order()))

    def final_order(self):
        """The workers in the order their final ops start: a random one, as Jepsen's each-thread
        breaks the tie between free threads whose ops are due at once at random (soonest-op-map).
        Which worker reads last decides, for one, which elements a g-set that never replicates
        loses."""
        order = list(range(len(self.processes)))
        self.rng_gen.shuffle(order)
        return order

    def heal(self):
        if "partition" in self.opts.nemesis:
            self.record_nemesis("info", "stop-partition", None)
            self.net.heal()
            self.record_nemesis("info", "stop-partition", "network-healed")

    async def run_finals(self, w):
        """One worker's final ops, asked for one at a time: final_ops may be a generator, which
        is sent each completion (so it can decide whether to poll again). An op's "delay"
        (seconds) is waited before it is invoked."""
        ops = iter(self.workload.final_ops(self.processes[w]) or ())
        done = None
        while True:
            try:
                op = ops.send(done) if done is not None and hasattr(ops, "send") else next(ops)
            except StopIteration:
                return
            if op.get("delay"):
                await asyncio.sleep(op["delay"])
            done = await self.perform(w, op, final=True)

    async def probe(self):
        try:
            return await self.workload.probe(self.open_client, list(self.node_ids))
        except Exception as e:
            self.exceptions.append(f"probe failed: {type(e).__name__}: {e}")
            return None

    async def stop_nodes(self):
        for node_id, node in self.nodes.items():
            if node.exited() and not node.stopping:
                code = node.transport.get_returncode()
                self.error(f"node {node_id} crashed: its process exited with code {code} "
                           f"before the test ended")
        for node in self.nodes.values():
            node.stopping = True            # what they print while shutting down is ignored
        await asyncio.gather(*(n.stop() for n in self.nodes.values()))

    # -- progress -----------------------------------------------------------------------------
    async def progress(self):
        """Elapsed / time-limit and ops so far: in place on a terminal, else every 10 s."""
        limit = self.opts.time_limit
        tty = sys.stderr.isatty()
        while True:
            elapsed = self.loop.time() - self.t0
            label = PHASE_LABELS.get(self.phase, "")
            line = f"[sim] {min(elapsed, limit):6.1f}/{limit:g} s  {self.invoked} ops{label}"
            sys.stderr.write(f"\r{line}\x1b[K" if tty else line + "\n")
            sys.stderr.flush()
            await asyncio.sleep(0.5 if tty else 10.0)


def _progress_done():
    if sys.stderr.isatty():
        sys.stderr.write("\n")
        sys.stderr.flush()


def run(opts):
    """Run one test; returns the exit code (0 valid, 1 invalid, 2 unknown or could not run)."""
    try:
        load(opts.workload).check_options(opts)
    except (WorkloadUnavailable, OptionsError) as e:
        print(f"sim: {e}", file=sys.stderr)
        return 2
    r = Run(opts)
    started = time.time()
    try:
        extra = asyncio.run(r.main())
    except StartupError as e:
        print(f"sim: {e}", file=sys.stderr)
        if getattr(r, "run_dir", None):
            report.point_latest(r.run_dir)      # the node logs of the failed start
        return 2
    except KeyboardInterrupt:
        print("\nsim: interrupted", file=sys.stderr)
        return 2
    results = check(r, extra)
    results["wall_seconds"] = round(time.time() - started, 3)
    report.write(r.run_dir, r.history, results, r.net.journal.export(), probe=extra)
    report.print_summary(results, sys.stdout)
    return {True: 0, False: 1}.get(results["valid"], 2)


def check(r, extra):
    """Run every checker over the history and assemble results.json (sim.check.results)."""
    return check_results(r.workload, r.history, r.opts, r.run_dir, net=r.net.snapshot(), probe=extra,
                   exceptions=r.exceptions, errors=r.errors, duration=round(r.duration, 3),
                   sim_delivery_lateness_ms=r.net.lateness_ms())
