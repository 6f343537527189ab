"""Node processes: real subprocesses talking JSON lines over pipes.

Stdout is read by an asyncio protocol (no task per message): each complete line is parsed once
and routed into the network. The first line that is not a valid message, or that names an
unknown source or destination, is reported through `on_error` and the node's stdout is ignored
from then on, as Maelstrom's reader thread would die. Stdin writes are batched: the network
delivers a burst, then `flush` writes it to the pipe in one call.
"""

import asyncio
import json
import os
import sys

from sim.net import NetError


class NodeProtocol(asyncio.SubprocessProtocol):
    def __init__(self, node):
        self.node = node
        self.exited = asyncio.get_running_loop().create_future()

    def pipe_data_received(self, fd, data):
        if fd == 1:
            self.node.on_stdout(data)
        elif fd == 2:
            self.node.on_stderr(data)

    def process_exited(self):
        if not self.exited.done():
            self.exited.set_result(None)


class NodeProcess:
    def __init__(self, node_id, net, log_path, echo_stderr, on_error):
        self.id = node_id
        self.net = net
        self.log_path = log_path
        self.echo_stderr = echo_stderr
        self.on_error = on_error          # (node_id, text) -> None
        self.transport = None
        self.stdin = None
        self.protocol = None
        self.partial = b""
        self.dead = False                 # stdout reader stopped after a bad line
        self.out = []
        self.log = None
        self.stopping = False

    async def start(self, argv, cwd=None):
        """Spawn the process; raises OSError if it cannot be started."""
        loop = asyncio.get_running_loop()
        self.log = open(self.log_path, "wb", buffering=0)
        stderr = asyncio.subprocess.PIPE if self.echo_stderr else self.log
        self.transport, self.protocol = await loop.subprocess_exec(
            lambda: NodeProtocol(self), *argv, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=stderr, cwd=cwd)
        self.stdin = self.transport.get_pipe_transport(0)
        self.net.add(self.id, self.deliver)

    # -- network -> stdin --------------------------------------------------------------------
    def deliver(self, src, body, raw):
        if raw is None:
            raw = (json.dumps({"src": src, "dest": self.id, "body": body},
                              separators=(",", ":")) + "\n").encode()
        if not self.out:
            self.net.dirty.append(self)
        self.out.append(raw)

    def flush(self):
        if self.out:
            data = b"".join(self.out)
            self.out.clear()
            if self.stdin is not None and not self.stdin.is_closing():
                self.stdin.write(data)

    # -- stdout -> network -------------------------------------------------------------------
    def on_stdout(self, data):
        if self.dead or self.stopping:
            return
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            if not self.route(line):
                self.dead = True
                return

    def route(self, line):
        stripped = line.strip()
        if not stripped:
            return True
        try:
            msg = json.loads(stripped)
        except ValueError:
            return self.bad(line, "not a JSON message")
        if not isinstance(msg, dict):
            return self.bad(line, "not a JSON object")
        src, dest, body = msg.get("src"), msg.get("dest"), msg.get("body")
        if not isinstance(src, str) or not isinstance(dest, str) or not isinstance(body, dict):
            return self.bad(line, "a message needs string src and dest and an object body")
        if not isinstance(body.get("type"), str):
            return self.bad(line, "the body has no string type")
        try:
            self.net.send(src, dest, body, stripped + b"\n")
        except NetError as e:
            return self.bad(line, str(e))
        return True

    def bad(self, line, why):
        text = line.decode(errors="replace")
        if len(text) > 300:
            text = text[:300] + "..."
        self.on_error(self.id, f"node {self.id} wrote a bad stdout line ({why}); "
                               f"its stdout is ignored from here on: {text}")
        return False

    def on_stderr(self, data):
        self.log.write(data)
        sys.stderr.buffer.write(data)
        sys.stderr.flush()

    # -- lifecycle ---------------------------------------------------------------------------
    def exited(self):
        return self.protocol is not None and self.protocol.exited.done()

    async def stop(self, grace=1.0):
        self.stopping = True
        self.net.remove(self.id)
        if self.transport is None:
            return
        try:
            if self.stdin is not None:
                self.stdin.close()
            try:
                await asyncio.wait_for(asyncio.shield(self.protocol.exited), grace)
            except asyncio.TimeoutError:
                self.transport.kill()
                try:
                    await asyncio.wait_for(asyncio.shield(self.protocol.exited), 2.0)
                except asyncio.TimeoutError:
                    pass
        except ProcessLookupError:
            pass
        finally:
            self.transport.close()
            if self.log:
                self.log.close()


def node_argv(binary, args):
    """The command that starts a node. A script whose first line is `#!/usr/bin/env python3`
    runs on this interpreter directly (the simulator runs on `python3` too), so a version
    manager's `python3` shim (pyenv's is a shell script) is not paid once per node: starting 25
    nodes through it takes seconds of CPU, enough to miss init's 10 s on a loaded machine.
    Anything else is executed as it is, as Maelstrom does."""
    path = os.path.abspath(binary)
    if _env_python3_script(path):
        return [sys.executable, path] + list(args)
    return [path] + list(args)


def _env_python3_script(path):
    try:
        with open(path, "rb") as f:
            first = f.readline(128)
    except OSError:
        return False
    words = first[2:].split() if first.startswith(b"#!") else []
    return (words[:2] == [b"/usr/bin/env", b"python3"] and len(words) == 2
            and os.access(path, os.X_OK) and bool(sys.executable))
