"""The run report (sim/viz, sim/journal): every run writes a well-formed report.html that holds
what the run holds, draws partitions, drops, errors, cycles and offsets, stays small, and
loads in a real browser (headless Chromium) without errors."""

import asyncio
import json
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import browser
from sim.viz import page as viz
from sim.cli import UsageError, parse_args
from sim.journal import KEEP, SECONDS, Journal
from sim.net import LatencyModel, Net
from sim.viz import timeplots
from sim_runs import run_all

ROOT = Path(__file__).resolve().parent.parent
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
NS = "{http://www.w3.org/2000/svg}"

RUNS = {
    "broadcast": ("broadcast", ROOT / "broadcast.py",
                  ["--node-count", "5", "--latency", "30", "--rate", "30", "--nemesis",
                   "partition", "--nemesis-interval", "0.7", "--recovery-wait", "0.5"]),
    "txn": ("txn-rw-register", ROOT / "tests" / "broken" / "txn_dirty_write.py",
            ["--node-count", "1", "--concurrency", "2n", "--rate", "200",
             "--consistency-models", "read-uncommitted"]),
    "kafka": ("kafka", ROOT / "tests" / "broken" / "kafka_reuses_offsets.py",
              ["--node-count", "1", "--concurrency", "2n", "--rate", "300",
               "--recovery-wait", "0.5", "--report-window", "0.5:1"]),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One short run per entry of RUNS, all at once; name -> Run."""
    argvs = {name: ["-w", workload, "--bin", node, "--time-limit", "3", "--seed", "5", *flags]
             for name, (workload, node, flags) in RUNS.items()}
    out = {}
    for name, done in run_all(tmp_path_factory, argvs).items():
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
        out[name] = Run(done)
    return out


class Run:
    def __init__(self, done):
        self.code, self.stdout, self.dir = done.code, done.stdout, done.dir
        self.results = done.results
        self.history = [json.loads(line) for line in (self.dir / "history.jsonl").open()]
        self.html = (self.dir / "report.html").read_text()
        self.svgs = [ET.fromstring(s) for s in SVG.findall(self.html)]

    def svg(self, svg_id):
        return next(s for s in self.svgs if s.get("id") == svg_id)


def completed_ops(history):
    """(f, completion type) of every client op that completed."""
    return [(op["f"], op["type"]) for op in history
            if op["process"] != "nemesis" and op["type"] != "invoke"]


def series_counts(chart):
    out = {}
    for path in chart.iter(f"{NS}path"):
        if path.get("class") == "pts" and path.get("data-series"):
            n = int(path.get("data-n"))
            assert path.get("d").count("M") == n
            out[tuple(path.get("data-series").split(" "))] = n
    return out


# --- every run writes a report that holds what the run holds ---------------------------------

def test_every_run_writes_its_report_and_says_where(runs):
    for run in runs.values():
        said = re.search(r"^report +(\S+)$", run.stdout, re.M)
        assert Path(said.group(1)).resolve() == run.dir / "report.html"
        assert run.html.startswith("<!DOCTYPE html>")


def test_every_svg_in_the_report_is_well_formed(runs):
    for run in runs.values():
        count = len(re.findall(r"<svg\b", run.html))
        assert count == len(run.svgs) >= 5      # every one parsed by xml.etree


def test_the_report_holds_the_op_count_the_verdict_and_a_point_per_op(runs):
    for name, run in runs.items():
        body = re.search(r'<body data-op-count="(\d+)" data-valid="(\w+)"', run.html)
        assert int(body.group(1)) == run.results["op_count"]
        assert body.group(2) == str(run.results["valid"])
        word = "Valid" if run.results["valid"] else "Invalid"
        assert f"<b>{word}</b>" in run.html
        expected = {}
        for f, outcome in completed_ops(run.history):
            expected[(f, outcome)] = expected.get((f, outcome), 0) + 1
        assert series_counts(run.svg("latency")) == expected, name


def test_the_report_is_invalid_with_the_run_and_links_each_error_to_its_op(runs):
    for name in ("txn", "kafka"):
        run = runs[name]
        assert run.code == 1 and run.results["valid"] is False
        assert 'id="errors"' in run.html
        links = set(re.findall(r'href="#(op-\d+)"', run.html))
        assert links, name
        ids = set(re.findall(r'\bid="([^"]+)"', run.html))
        assert links <= ids
        assert set(re.findall(r'href="#([^"]+)"', run.html)) <= ids     # no dangling anchor


def test_partitions_are_shaded_in_every_time_plot(runs):
    run = runs["broadcast"]
    starts = [op for op in run.history
              if op["f"] == "start-partition" and isinstance(op["value"], str)]
    assert starts
    for chart in ("latency", "throughput", "network"):
        bands = [r for r in run.svg(chart).iter(f"{NS}rect") if r.get("class") == "band"]
        assert len(bands) == len(starts), chart


def test_the_message_diagram_shows_the_first_and_last_seconds(runs):
    run = runs["broadcast"]
    figures = re.findall(r'<figure class="msgs" id="diagram-(\d)"><figcaption>(.*?)</figcaption>',
                         run.html)
    assert [n for n, _ in figures] == ["1", "2"]
    assert "sent between the start and 2 s" in figures[0][1]
    assert f"sent in the last {SECONDS:g} s of the test" in figures[1][1]
    diagrams = [s for s in run.svgs if s.get("class") == "diagram"]
    arrows = [g for d in diagrams for g in d.iter(f"{NS}g") if "m" in g.get("class", "").split()]
    assert 0 < len(arrows) <= 2 * KEEP
    assert all(g.find(f"{NS}title").text.count("→") >= 1 for g in arrows)
    assert any('"type": "topology"' in g.find(f"{NS}title").text for g in arrows)


def test_report_window_picks_the_diagrams_window(runs):
    run = runs["kafka"]
    captions = re.findall(r'<figcaption>(Diagram of .*?)</figcaption>', run.html)
    assert len(captions) == 1 and "sent between 0.5 s and 1 s" in captions[0]
    sent = [float(t) for t in re.findall(r", sent (\d+\.\d+) s", run.html)]
    assert sent and all(0.5 <= t <= 1.0 for t in sent)


def test_workload_panels_follow_the_checker_results(runs):
    assert 'id="stable"' in runs["broadcast"].html
    assert 'id="cycles"' not in runs["broadcast"].html
    txn = runs["txn"]
    assert "G0" in txn.results["checkers"]["workload"]["anomaly_types"]
    cycles = [s for s in txn.svgs if s.get("class") == "cycle"]
    assert cycles and all(len(list(c.iter(f"{NS}circle"))) >= 2 for c in cycles)
    assert 'id="offsets"' in runs["kafka"].html and 'id="stable"' not in runs["kafka"].html


def test_report_window_flag_is_parsed_and_checked():
    base = ["-w", "echo", "--bin", "x"]
    assert parse_args(base).report_window is None
    assert parse_args(base + ["--report-window", "2:3.5"]).report_window == (2.0, 3.5)
    for bad in ("3", "4:2", "a:b", "1:"):
        with pytest.raises(UsageError):
            parse_args(base + ["--report-window", bad])


# --- rendering from data alone ---------------------------------------------------------------

def synthetic(ops=200, fail_every=7):
    """A results dict and a history of `ops` reads, every fail_every-th failing, one partition."""
    history = [{"type": "info", "f": "start-partition", "value": "one", "process": "nemesis",
                "time": 0},
               {"type": "info", "f": "start-partition", "value": ["isolated", {"n0": ["n1"]}],
                "process": "nemesis", "time": 10}]
    for i in range(ops):
        t = i * 10_000_000
        history.append({"type": "invoke", "f": "read", "value": None, "process": i % 3,
                        "time": t})
        outcome = "fail" if i % fail_every == 0 else "ok"
        history.append({"type": outcome, "f": "read", "value": i, "process": i % 3,
                        "time": t + 1_000_000 + i * 1000})
    history.append({"type": "info", "f": "stop-partition", "value": None, "process": "nemesis",
                    "time": ops * 5_000_000})
    for i, op in enumerate(history):
        op["index"] = i
    results = {"valid": True, "workload": "echo", "op_count": ops, "duration": ops / 100,
               "checkers": {"stats": {"valid": True}, "workload": {"valid": True}}}
    return results, history


def parse_all(html):
    return [ET.fromstring(s) for s in SVG.findall(html)]


def test_a_saved_run_without_journal_or_fields_still_renders():
    results, history = synthetic()
    html = viz.render(results, history)
    assert 'id="messages"' not in html and parse_all(html)
    assert parse_all(viz.render({}, []))                    # nothing at all: still a page


def test_points_are_capped_and_the_chart_says_so(monkeypatch):
    monkeypatch.setattr(timeplots, "POINT_CAP", 50)
    results, history = synthetic(ops=200)
    chart = next(s for s in parse_all(viz.render(results, history)) if s.get("id") == "latency")
    assert sum(series_counts(chart).values()) == 50
    assert "every 4th op shown: 50 of 200" in ET.tostring(chart, encoding="unicode")


def journal_of(messages, bodies):
    """A journal export with two full windows of `messages` messages of the given bodies."""
    def window(start):
        return {"start": start, "end": start + 2, "total": messages * 3,
                "messages": [{"sent": start + i / messages, "done": start + i / messages + 0.1,
                              "dropped": i % 9 == 0, "src": f"n{i % 25}",
                              "dest": f"n{(i + 1) % 25}", "body": bodies(i)}
                             for i in range(messages)]}
    return {"windows": [window(0), window(18)], "bucket": 0.1,
            "traffic": {str(b): [50, 200, 3] for b in range(200)},
            "pairs": [[f"n{i}", f"n{j}", i + j] for i in range(25) for j in range(25)],
            "types": {"gossip": 100000, "read": 5000}}


def test_a_worst_case_25_node_run_stays_under_5_mb():
    """2 full windows of messages with 20 KB bodies and 20,000 ops (beyond what a 25-node
    20 s broadcast at rate 100 makes): hover text is cut, so the file stays small."""
    results, history = synthetic(ops=20000)
    journal = journal_of(KEEP, lambda i: {"type": "gossip", "msg_id": i,
                                          "values": list(range(i, i + 4000))})
    html = viz.render(results, history, journal)
    assert len(html.encode()) < 5_000_000
    svgs = parse_all(html)
    assert sum(1 for s in svgs if s.get("class") == "diagram") == 2
    drops = re.findall(r'class="m d(?: on)?"', html)
    assert len(drops) == 2 * len(range(0, KEEP, 9))                     # drops drawn apart


# --- the journal ----------------------------------------------------------------------------

def journal_run(scenario, window=None, keep=KEEP):
    async def main():
        loop = asyncio.get_running_loop()
        journal = Journal(loop.time, window, keep)
        net = Net(loop, LatencyModel(5, "constant", random.Random(1)), loop.time, journal)
        for node in ("n0", "n1", "c1"):
            net.add(node, lambda src, body, raw: None)
        await scenario(net, journal, loop)
        return journal.export()
    return asyncio.run(main())


def test_the_journal_records_deliveries_drops_and_in_flight_messages():
    async def scenario(net, journal, loop):
        journal.origin = loop.time()
        net.send("c1", "n0", {"type": "init"})                 # counted, never kept
        net.send("n0", "n1", {"type": "gossip", "v": 1})
        await asyncio.sleep(0.02)
        net.partition({"n1": ["n0"]})                          # drops on receipt
        net.send("n0", "n1", {"type": "gossip", "v": 2})
        await asyncio.sleep(0.05)
        net.heal()
        net.send("n1", "n0", {"type": "gossip", "v": 3})
        net.freeze()                                           # the test is over
        net.send("n1", "n0", {"type": "gossip", "v": 4})       # not recorded
        await asyncio.sleep(0.05)
    out = journal_run(scenario)
    kept = out["windows"][0]["messages"]
    assert [m["body"].get("v") for m in kept] == [1, 2, 3]
    delivered, dropped, in_flight = kept
    assert delivered["done"] is not None and not delivered["dropped"]
    assert dropped["dropped"] and dropped["done"] >= dropped["sent"]
    assert in_flight["done"] is None                           # delivered after the freeze
    assert out["types"] == {"init": 1, "gossip": 3}
    assert out["pairs"] == [["clients", "n0", 1], ["n0", "n1", 2], ["n1", "n0", 1]]
    assert sum(row[2] for row in out["traffic"].values()) == 1


def test_the_journal_keeps_a_bounded_window_and_counts_the_rest():
    async def scenario(net, journal, loop):
        journal.origin = loop.time() - 1.0                     # 1 s into the test
        for i in range(50):
            net.send("n0", "n1", {"type": "gossip", "i": i})
        await asyncio.sleep(0.02)
    inside = journal_run(scenario, window=(0.5, 3), keep=10)["windows"]
    assert len(inside) == 1 and inside[0]["total"] == 50
    assert [m["body"]["i"] for m in inside[0]["messages"]] == list(range(10))
    outside = journal_run(scenario, window=(2, 3))["windows"]
    assert outside[0]["total"] == 0 and outside[0]["messages"] == []


def test_the_journal_keeps_the_last_seconds_and_says_when_it_is_capped():
    async def scenario(net, journal, loop):
        journal.origin = loop.time() - 10.0                    # the first window is long gone
        for i in range(30):
            net.send("n0", "n1", {"type": "gossip", "i": i})
        await asyncio.sleep(0.02)
    full = journal_run(scenario, keep=10)["windows"]
    assert full[0]["messages"] == [] and full[1]["tail"] and full[1]["capped"]
    assert [m["body"]["i"] for m in full[1]["messages"]] == list(range(20, 30))
    roomy = journal_run(scenario, keep=100)["windows"]
    assert not roomy[1]["capped"] and len(roomy[1]["messages"]) == 30


# --- a real browser ---------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    browser.chromium() is None,
    reason="headless Chromium is not installed (apt-get install -y chromium; .ci/run does it)")


@needs_chromium
def test_the_report_loads_in_chromium_without_errors(runs, tmp_path):
    for name in ("broadcast", "txn"):
        page = runs[name].dir / "report.html"
        dom, errors = browser.dump_dom(page)
        assert errors == [], name
        for marker in ('id="latency"', 'id="throughput"', 'id="network"', 'class="msgs"',
                       'id="checkers"', 'class="banner"'):
            assert marker in dom, (name, marker)
        png = tmp_path / f"{name}.png"
        assert browser.screenshot(page, png, 1200, 1600) == []
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


@needs_chromium
def test_the_browser_check_catches_a_broken_page(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><svg><path d="M1 2 L x"/></svg>'
                    '<script>undefined_function();</script></body></html>')
    _, errors = browser.dump_dom(page)
    assert any("attribute d" in e for e in errors)
    assert any("undefined_function" in e for e in errors)
