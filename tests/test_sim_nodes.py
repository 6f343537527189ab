"""How the simulator starts a node binary."""

import os
import sys

from sim.nodes import node_argv


def script(tmp_path, name, first_line, executable=True):
    path = tmp_path / name
    path.write_text(first_line + "\nprint('hi')\n")
    if executable:
        os.chmod(path, 0o755)
    return str(path)


def test_an_env_python3_script_runs_on_this_interpreter(tmp_path):
    path = script(tmp_path, "node.py", "#!/usr/bin/env python3")
    assert node_argv(path, ["--x", "1"]) == [sys.executable, path, "--x", "1"]


def test_other_binaries_are_executed_as_they_are(tmp_path):
    for name, line, executable in [("sh.py", "#!/bin/sh", True),
                                   ("py2.py", "#!/usr/bin/env python", True),
                                   ("opts.py", "#!/usr/bin/env python3 -u", True),
                                   ("noexec.py", "#!/usr/bin/env python3", False)]:
        path = script(tmp_path, name, line, executable)
        assert node_argv(path, []) == [path], name
