"""Run node executables as subprocesses, in batch or in conversation, for tests.

    run(["echo.py"], lines)      -> Result(stdout lines, stderr text, returncode)
    Session(["g_counter.py"], services={"seq-kv": FakeSeqKV()})
        .send(msg) / .expect() / .close()   -- talk to a live node; its requests
        to a fake service are answered by that fake and never show up in expect()
    load(path) -> Transcript; play(transcript) checks it, raising AssertionError

Transcript files (tests/transcripts/*.txt) read top to bottom:

    # a comment
    $ echo.py                   the executable (relative to the repo root) and args
    @ seq-kv stale              optional: a fake service (seq-kv|lin-kv, stale|fresh)
    > {"src":"c1",...}          a line sent to the node
    < {"src":"n1",...}          the exact line the node must print next
    ~ 0.5                       pause (seconds), e.g. to step past a node's time window
                                (no pause is needed for a reply to take effect: the
                                runtime acts on a reply before it reads the next line)

Each "<" line must arrive (within a timeout) before the next ">" is sent, so
asynchronous nodes can be checked too. After the last line stdin is closed; the
node must exit 0 and print nothing more to clients.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 10.0


@dataclass
class Result:
    stdout: list
    stderr: str
    returncode: int


def command(argv):
    """Resolve a node command relative to the repo root and run it with this Python."""
    if isinstance(argv, str):
        argv = argv.split()
    return [sys.executable, os.path.join(ROOT, argv[0]), *argv[1:]]


def run(argv, lines, timeout=TIMEOUT):
    """Feed lines (str, bytes or message dicts) to a node, close stdin, collect output."""
    data = b"".join(_encode_line(line) for line in lines)
    proc = subprocess.run(command(argv), input=data, capture_output=True, timeout=timeout,
                          cwd=ROOT)
    out = proc.stdout.decode()
    return Result(out.splitlines(), proc.stderr.decode(errors="replace"), proc.returncode)


def _encode_line(line):
    if isinstance(line, dict):
        line = json.dumps(line, separators=(",", ":"))
    if isinstance(line, str):
        line = line.encode()
    return line if line.endswith(b"\n") else line + b"\n"


class Session:
    """A live node process; requests to `services` are answered by the fakes."""

    def __init__(self, argv, services=None):
        self.services = services or {}
        self.proc = subprocess.Popen(command(argv), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        self.lines = queue.Queue()
        self.stderr = []
        self._write_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for thread in self._threads:
            thread.start()

    def send(self, line):
        with self._write_lock:
            self.proc.stdin.write(_encode_line(line))
            self.proc.stdin.flush()

    def expect(self, timeout=TIMEOUT):
        """The next line the node printed to a non-service destination."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout}s; stderr:\n{''.join(self.stderr)}")
        if line is None:
            raise AssertionError(f"node closed stdout; stderr:\n{''.join(self.stderr)}")
        return line

    def expect_json(self, timeout=TIMEOUT):
        return json.loads(self.expect(timeout))

    def next_message(self, dest=None, kind=None):
        """The next message to `dest` of type `kind`, skipping everything else."""
        while True:
            msg = self.expect_json()
            if (dest is None or msg["dest"] == dest) and (kind is None
                                                          or msg["body"]["type"] == kind):
                return msg

    @classmethod
    def initialised(cls, argv, node_id, node_ids):
        """A live node that has answered init as `node_id` of `node_ids`."""
        session = cls(argv)
        session.send({"src": "c0", "dest": node_id, "body": {
            "type": "init", "msg_id": 1, "node_id": node_id, "node_ids": list(node_ids)}})
        assert session.expect_json()["body"]["type"] == "init_ok"
        return session

    def close(self, timeout=TIMEOUT):
        """Close stdin, wait for exit; return (returncode, remaining client lines)."""
        self.proc.stdin.close()
        code = self.proc.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout)
        rest = []
        while True:
            line = self.lines.get()
            if line is None:
                return code, rest
            rest.append(line)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode().rstrip("\n")
            service = self._service_for(line)
            if service is None:
                self.lines.put(line)
                continue
            reply = service.handle(json.loads(line))
            if reply is not None:
                try:
                    self.send(reply)
                except (BrokenPipeError, ValueError):
                    pass
        self.lines.put(None)

    def _service_for(self, line):
        try:
            return self.services.get(json.loads(line)["dest"])
        except (ValueError, KeyError, TypeError):
            return None

    def _read_stderr(self):
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode(errors="replace"))


@dataclass
class Transcript:
    path: str
    argv: list = field(default_factory=list)
    services: dict = field(default_factory=dict)   # name -> "stale" | "fresh"
    steps: list = field(default_factory=list)      # (">" | "<", line)


def load(path):
    transcript = Transcript(path)
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            mark, _, rest = line.partition(" ")
            if mark == "$":
                transcript.argv = rest.split()
            elif mark == "@":
                name, _, mode = rest.partition(" ")
                transcript.services[name] = mode or "stale"
            elif mark == "~":
                transcript.steps.append((mark, float(rest)))
            elif mark in (">", "<"):
                transcript.steps.append((mark, rest))
            else:
                raise ValueError(f"{path}:{number}: cannot parse {line!r}")
    if not transcript.argv:
        raise ValueError(f"{path}: no '$ executable' line")
    return transcript


def play(transcript):
    """Run a transcript; raise AssertionError at the first difference."""
    from fake_services import FakeLinKV, FakeSeqKV
    services = {}
    for name, mode in transcript.services.items():
        services[name] = FakeSeqKV(name, mode) if name == "seq-kv" else FakeLinKV(name)
    session = Session(transcript.argv, services)
    try:
        for mark, line in transcript.steps:
            if mark == ">":
                session.send(line)
            elif mark == "~":
                time.sleep(line)
            else:
                got = session.expect()
                assert got == line, f"{transcript.path}: expected\n  {line}\ngot\n  {got}"
        code, rest = session.close()
        assert rest == [], f"{transcript.path}: unexpected output {rest}"
        assert code == 0, f"{transcript.path}: exit code {code}\n{''.join(session.stderr)}"
    finally:
        session.kill()
