"""The contract between the simulator core and a workload.

Histories are Jepsen-shaped: a list of op dicts in real-time order, each
  {"index": int, "type": "invoke"|"ok"|"fail"|"info", "f": str, "value": ...,
   "process": int|"nemesis", "time": int (ns since the test started),
   "final": bool (final-phase op), "error": optional [code, text] or str}
An invocation and its completion share "process" and "f"; the completion
follows its invocation. Ops of the nemesis use process "nemesis" and are
excluded from op counts.

The core owns processes, network, nemesis, services, clients, the stagger
generator and stats. A workload owns its generator and client, and names its checker; the
checkers themselves (sim.checkers) are pure functions of the paired history. Everything the
core asks of a workload is declared here:

  class W(Workload):
      name = "echo"
      reopen_after_info = True        # close the client and open a new cN id after an info
      idempotent = {"read"}           # fs whose indefinite outcome is recorded as fail
      definite_errors = True          # a definite error code makes the op fail (Maelstrom's
                                      # with-errors); False: the client translates no errors
                                      # (g-set, pn-counter, g-counter), so every error reply
                                      # and timeout leaves the op info, whatever its f
      final_phase = False             # True: Maelstrom's final phase after the main one (heal,
                                      # wait --recovery-wait, then final_ops on every worker)
      stats_exempt = {"crash"}        # fs the stats checker counts but needs no ok of
      summary_fields = ("stable_latencies",)
                                      # keys of the checker's result copied to the top of
                                      # results.json
      def __init__(self, opts, rng)   # opts: sim.cli.Options, rng: random.Random (seeded)
      async def setup(self, open_client, node_ids)
                                      # after init, before the main phase (e.g. topology);
                                      # open_client(node) -> Client
      @classmethod
      def check_options(cls, opts)    # raise OptionsError(text) when the workload cannot run
                                      # with these options (the run refuses to start, exit 2)
      def pick_worker(self, choice)   # which free worker takes the next main-phase op; choice is
                                      # a WorkerChoice (below). Default: choice.first_free(
                                      # choice.free). Must return a worker of choice.free.
      def next_op(self, process, now) # next main-phase op for a free worker, or None
                                      #   -> {"f": str, "value": ...}
      async def invoke(self, client, op, process)
                                      # perform op through client; return the completion
                                      #   {"type": "ok"|"fail"|"info", "value": ..., "error"?: ...}
                                      # client.call raises ClientError / Timeout as below; the
                                      # core turns an escaping ClientError/Timeout into fail/info
                                      # by `definite_errors`, definiteness and `idempotent`.
      def final_ops(self, process)    # with final_phase: ops each worker runs after the
                                      # recovery wait. May be a generator: the core asks for
                                      # one op at a time and sends it the previous completion;
                                      # an op's "delay" (s) is waited before it is invoked.
      async def probe(self, open_client, node_ids)
                                      # after the final phase and after the net stats are
                                      # frozen: extra simulator-only observations (e.g. txn reads
                                      # every key on every node to expose G0); not counted as
                                      # ops or messages. The result is passed to check.
      @staticmethod
      def check(history, opts, probe=None)
                                      # the workload's verdict: a call into sim.checkers with the
                                      # paired history (sim.history.History) and the options;
                                      # -> {"valid": bool, ...}
      @staticmethod
      def from_jepsen(op)             # an op read from a Maelstrom/Jepsen history (sim.edn.to_op)
                                      # as this simulator's history records it (default: as is;
                                      # echo keeps only the reply's echo)

WorkerChoice (provided by the core; a slice of Jepsen's generator context):
      choice.free                     # the free workers (thread numbers 0..concurrency-1)
      choice.processes                # every worker's current process (worker w: processes[w])
      choice.first_free(workers)      # Jepsen's pick among `workers`: the first free one at or
                                      # after a cursor that advances by one per op handed out

Client (provided by the core, bound to one node, one request at a time):
      client.id, client.node
      await client.call(body, reply_type, schema, timeout=5.0) -> reply body
          body: request body without msg_id; the client assigns msg_id.
          A reply of type reply_type is validated against `schema` (sim.schema); a mismatch
          is a test error (run invalid) and raises SchemaError.
          A reply of type "error" raises ClientError(code, text).
          No reply within timeout raises Timeout (indefinite, code 0).
"""


# Maelstrom's error registry: only these codes promise the operation did not happen. Every
# other code (0 timeout, 13 crash, unregistered ones, 1000 and up) is indefinite.
DEFINITE_CODES = frozenset({1, 10, 11, 12, 14, 20, 21, 22, 30})


class ClientError(Exception):
    """An error reply from a node: {"type": "error", "code", "text"}."""

    def __init__(self, code, text=""):
        super().__init__(f"error {code}: {text}")
        self.code = code
        self.text = text

    @property
    def definite(self):
        return self.code in DEFINITE_CODES


class Timeout(ClientError):
    def __init__(self, text="client timed out"):
        super().__init__(0, text)


class SchemaError(Exception):
    """A reply that breaks its closed schema; recorded as a test error by the core."""


class OptionsError(Exception):
    """Options the workload cannot run with (e.g. lin-kv's --concurrency not a multiple of 2n)."""


class WorkerChoice:
    """What a workload sees when it picks the worker for the next op (see the docstring)."""

    __slots__ = ("free", "processes", "first_free")

    def __init__(self, free, processes, first_free):
        self.free = free
        self.processes = processes
        self.first_free = first_free


class Workload:
    name = "?"
    reopen_after_info = True
    idempotent = frozenset()
    definite_errors = True
    final_phase = False
    stats_exempt = frozenset()
    summary_fields = ()

    def __init__(self, opts, rng):
        self.opts = opts
        self.rng = rng

    @classmethod
    def check_options(cls, opts):
        return None

    async def setup(self, open_client, node_ids):
        return None

    def pick_worker(self, choice):
        return choice.first_free(choice.free)

    def next_op(self, process, now):
        raise NotImplementedError

    async def invoke(self, client, op, process):
        raise NotImplementedError

    def final_ops(self, process):
        return []

    async def probe(self, open_client, node_ids):
        return None

    @staticmethod
    def check(history, opts, probe=None):
        raise NotImplementedError

    @staticmethod
    def from_jepsen(op):
        return op
