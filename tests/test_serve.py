"""`python3 -m sim serve`: an index of the store's runs, newest first, each run's report and
files, and nothing outside the store."""

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sim.serve import make_server
from sim.viz.svg import VERDICT

ROOT = Path(__file__).resolve().parent.parent


def fake_run(store, name, valid, mtime, workload="broadcast"):
    run = store / name
    (run / "node-logs").mkdir(parents=True)
    (run / "node-logs" / "n0.log").write_text("node log\n")
    results = {"valid": valid, "workload": workload, "op_count": 42,
               "opts": {"node_count": 3}, "net": {"all": {"msgs_per_op": 2.5}}}
    (run / "results.json").write_text(json.dumps(results))
    (run / "history.jsonl").write_text('{"type": "invoke"}\n')
    (run / "report.html").write_text(f"<!DOCTYPE html><p>report of {name}</p>")
    os.utime(run, (mtime, mtime))
    return run


@pytest.fixture
def store(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    now = time.time()
    fake_run(store, "broadcast-20250101T000000.000", True, now - 100)
    fake_run(store, "kafka-20250102T000000.000", False, now - 10, workload="kafka")
    os.symlink("kafka-20250102T000000.000", store / "latest")
    (tmp_path / "secret.txt").write_text("outside the store\n")
    os.symlink(tmp_path / "secret.txt", store / "kafka-20250102T000000.000" / "escape")
    return store


@pytest.fixture
def server(store):
    srv = make_server(store, 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_port
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=10)


def get(port, path):
    """(status, body) for a raw request path, sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    conn.close()
    return resp.status, body


def test_the_index_lists_runs_newest_first_with_verdict_colours(server):
    status, body = get(server, "/")
    assert status == 200
    kafka, broadcast = body.index("kafka-2025"), body.index("broadcast-2025")
    assert kafka < broadcast
    assert f"background:{VERDICT[False]}\">invalid" in body
    assert f"background:{VERDICT[True]}\">valid" in body
    assert '<a href="/kafka-20250102T000000.000/report.html">report</a>' in body
    assert ">2.5<" in body and ">42<" in body


def test_reports_and_files_are_served_through_runs_and_latest(server):
    assert get(server, "/kafka-20250102T000000.000/report.html") == \
        (200, "<!DOCTYPE html><p>report of kafka-20250102T000000.000</p>")
    assert get(server, "/latest/report.html")[1].endswith("kafka-20250102T000000.000</p>")
    status, listing = get(server, "/broadcast-20250101T000000.000/")
    assert status == 200
    assert listing.index("report.html") < listing.index("node-logs/")
    assert get(server, "/broadcast-20250101T000000.000/node-logs/n0.log") == (200, "node log\n")


def test_a_saved_run_without_a_report_gets_one_drawn(store, server):
    old = fake_run(store, "echo-20240101T000000.000", True, time.time() - 1000, "echo")
    (old / "report.html").unlink()
    (old / "history.jsonl").write_text(
        '{"type": "invoke", "f": "echo", "value": "x", "process": 0, "time": 0, "index": 0}\n'
        '{"type": "ok", "f": "echo", "value": "x", "process": 0, "time": 2000000, "index": 1}\n')
    assert '<a href="/echo-20240101T000000.000/report.html">report</a>' in get(server, "/")[1]
    status, body = get(server, "/echo-20240101T000000.000/report.html")
    assert status == 200 and 'id="latency"' in body and 'data-n="1"' in body
    assert not (old / "report.html").exists()                   # drawn, not written
    assert get(server, "/echo-20240101T000000.000/nothing/report.html")[0] == 404


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/latest/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
    "/latest/%2e%2e/%2e%2e/secret.txt", "/kafka-20250102T000000.000/escape",
    "/..\\secret.txt", "/missing/report.html", "//etc/passwd", "/../report.html",
    "/latest/../../report.html",
])
def test_nothing_outside_the_store_is_served(server, path):
    status, body = get(server, path)
    assert status == 404 and "outside the store" not in body


def test_sim_serve_starts_on_a_port_and_serves_the_index(store):
    proc = subprocess.Popen([sys.executable, "-m", "sim", "serve", "--port", "0", "--store",
                             str(store)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        status, body = get(port, "/")
        assert status == 200 and "kafka-20250102T000000.000" in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_sim_serve_refuses_a_missing_store(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "serve", "--store",
                           str(tmp_path / "nothing")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "no store" in proc.stderr
