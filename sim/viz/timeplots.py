"""The plots over test time, drawn on one shared x axis so they line up on the page.

latency     a point per client op at its invocation time, latency (ms) on a log axis, colour
            by outcome (ok / info / fail, Jepsen's colours), marker shape by f; one series per
            (f, outcome), the larger drawn first so rare failures stay on top; at most
            POINT_CAP points (beyond that every k-th op, and the chart says so).
throughput  completions per second by (f, outcome) in buckets of about 1/50 of the run,
            empty series left out (Jepsen's rate plot drew all-zero lines).
network     messages per second sent by clients and between servers, and messages dropped
            by partitions, from the journal's traffic counts.
Each shades the partition intervals (Jepsen's #E9DCA0) and marks the message diagram's
windows above the plot area, linked to the diagrams.
"""

from sim.viz import svg
from sim.viz.svg import OUTCOME, esc, num

POINT_CAP = 20000
OUTCOMES = ("ok", "info", "fail")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


def time_scale(frame, span):
    return svg.Linear(span[0], span[1], frame.x0, frame.x1)


def bands(frame, xs, parts):
    """Partition intervals, full plot height, behind the data."""
    out = []
    for p in parts:
        x1, x2 = xs(max(p.start, xs.lo)), xs(min(p.end, xs.hi))
        if x2 <= x1:
            x2 = x1 + 1
        out.append(f'<rect class="band" x="{num(x1)}" y="{frame.y0}" width="{num(x2 - x1)}" '
                   f'height="{frame.y1 - frame.y0}"><title>{esc(p.describe())}</title></rect>')
    if parts:
        frame.add_legend(svg.legend_box(svg.PARTITION, 0.6), "partition",
                         f"{len(parts)} partition interval(s)")
    return "".join(out)


def window_marks(frame, xs, windows):
    """Brackets above the plot for each message-diagram window, linked to it."""
    out = []
    for i, w in enumerate(windows):
        lo = max(xs.lo, w["from"])
        hi = min(xs.hi, max(w["to"], lo))
        x1, x2 = xs(lo), max(xs(hi), xs(lo) + 2)
        out.append(f'<a href="#diagram-{i + 1}"><g class="wmark"><title>message diagram '
                   f'{i + 1}: {w["from"]:.3f}-{w["to"]:.3f} s</title>'
                   f'<rect x="{num(x1)}" y="{frame.y0 - 5}" width="{num(x2 - x1 - 1)}" '
                   f'height="4"/><text x="{num(x1 + 2)}" y="{frame.y0 - 8}">diagram {i + 1}'
                   f'</text></g></a>')
    return "".join(out)


def decorate(frame, xs, parts, windows):
    return bands(frame, xs, parts) + window_marks(frame, xs, windows)


# --- latency --------------------------------------------------------------------------------

def shapes_by_f(ops):
    fs = sorted({op.f for op in ops if op.f is not None})
    return {f: svg.SHAPES[i % len(svg.SHAPES)] for i, f in enumerate(fs)}


def latency_chart(ops, span, parts, windows, flagged=()):
    """flagged: ops the checkers point at, ringed and linked to their row."""
    done = [op for op in ops if op.end is not None]
    step = max(1, -(-len(done) // POINT_CAP))
    shown = done[::step]
    frame = svg.Frame(360, "Latency: one point per op at its invocation", "latency")
    xs = time_scale(frame, span)
    lats = [op.latency_ms for op in shown] or [1.0]
    ys = svg.Log(max(min(lats), 0.01), max(lats), frame.y1, frame.y0)
    frame.body.append(frame.axes(xs, ys, "Time (s)", "Latency (ms)"))
    frame.body.append(decorate(frame, xs, parts, windows))
    shapes = shapes_by_f(ops)
    series = {}
    for op in shown:
        series.setdefault((op.f, op.type), []).append((xs(op.start), ys(max(op.latency_ms, 0.01))))
    for (f, outcome), pts in sorted(series.items(), key=lambda kv: -len(kv[1])):
        colour = OUTCOME.get(outcome, "#999999")
        frame.body.append(svg.points_path(pts, shapes[f], colour,
                                          f' data-series="{esc(f)} {esc(outcome)}"'))
    for (f, outcome), pts in sorted(series.items()):
        frame.add_legend(svg.legend_marker(shapes[f], OUTCOME.get(outcome, "#999999")),
                         f"{f} {outcome} ({len(pts)})")
    frame.body.append(_rings(flagged, xs, ys))
    pending = len(ops) - len(done)
    notes = []
    if step > 1:
        notes.append(f"every {step}th op shown: {len(shown)} of {len(done)}")
    if pending:
        notes.append(f"{pending} op(s) never completed")
    if notes:
        frame.body.append(f'<text class="note" x="{frame.x1}" y="18" text-anchor="end">'
                          f'{esc("; ".join(notes))}</text>')
    return frame.render()


def _rings(flagged, xs, ys):
    out = []
    for op in flagged:
        if op.end is None:
            continue
        index = op.complete.get("index")
        x, y = num(xs(op.start)), num(ys(max(op.latency_ms, 0.01)))
        out.append(f'<a href="#op-{index}"><circle class="ring" cx="{x}" cy="{y}" r="7">'
                   f'<title>op {index}: {esc(op.f)} {esc(op.type)}, {op.latency_ms:.1f} ms '
                   f'(an op the checkers point at)</title></circle></a>')
    return "".join(out)


# --- throughput -----------------------------------------------------------------------------

def bucket_width(span, events):
    """About 50 buckets over the run, widened so a bucket holds about 10 events on average."""
    length = span[1] - span[0]
    return svg.nice_step(max(length / 50, 10 * length / max(1, events)), 1)


def throughput_chart(ops, span, parts, windows):
    width = bucket_width(span, len(ops))
    n = int((span[1] - span[0]) / width) + 1
    counts = {}
    for op in ops:
        if op.end is None:
            continue
        i = min(n - 1, max(0, int((op.end - span[0]) / width)))
        counts.setdefault((op.f, op.type), [0] * n)[i] += 1
    frame = svg.Frame(300, f"Throughput: completions per second ({width:g} s buckets)",
                      "throughput")
    xs = time_scale(frame, span)
    top = max((c for row in counts.values() for c in row), default=0) / width
    ys = svg.Linear(0, max(top * 1.08, 1.0), frame.y1, frame.y0)
    frame.body.append(frame.axes(xs, ys, "Time (s)", "Throughput (hz)"))
    frame.body.append(decorate(frame, xs, parts, windows))
    fs = sorted({f for f, _ in counts})
    for (f, outcome), row in sorted(counts.items()):
        if not any(row):
            continue
        colour = OUTCOME.get(outcome, "#999999")
        dash = DASHES[fs.index(f) % len(DASHES)]
        frame.body.append(_line(xs, ys, span[0], width, [c / width for c in row], colour, dash,
                                f"{f} {outcome}"))
        frame.add_legend(svg.legend_line(colour, dash), f"{f} {outcome}",
                         f"{sum(row)} completions")
    return frame.render()


def _line(xs, ys, t0, width, values, colour, dash, name):
    pts = " ".join(f"{num(xs(min(xs.hi, t0 + (i + 0.5) * width)))},{num(ys(v))}"
                   for i, v in enumerate(values))
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<polyline class="series" data-series="{esc(name)}" points="{pts}" fill="none" '
            f'stroke="{colour}" stroke-width="2"{dash_attr}/>')


# --- network traffic --------------------------------------------------------------------------

TRAFFIC = (("client messages", svg.MSG_CLIENT, ""), ("server messages", "#555555", ""),
           ("dropped", svg.DROPPED, "4 2"))


def traffic_chart(journal, span, parts, windows):
    """Messages per second from the journal's traffic buckets, regrouped to the plot's width."""
    if not journal or not journal.get("traffic"):
        return ""
    width = bucket_width(span, sum(sum(row[:2]) for row in journal["traffic"].values()))
    n = int((span[1] - span[0]) / width) + 1
    rows = [[0] * n for _ in TRAFFIC]
    for bucket, counts in journal["traffic"].items():
        t = int(bucket) * journal["bucket"]
        if t < span[0]:
            continue
        i = min(n - 1, int((t - span[0]) / width + 1e-9))
        for k, c in enumerate(counts):
            rows[k][i] += c
    frame = svg.Frame(260, f"Network: messages per second ({width:g} s buckets)", "network")
    xs = time_scale(frame, span)
    top = max((c for row in rows for c in row), default=0) / width
    ys = svg.Linear(0, max(top * 1.08, 1.0), frame.y1, frame.y0)
    frame.body.append(frame.axes(xs, ys, "Time (s)", "Messages (hz)"))
    frame.body.append(decorate(frame, xs, parts, windows))
    for (name, colour, dash), row in zip(TRAFFIC, rows):
        if any(row):
            frame.body.append(_line(xs, ys, span[0], width, [c / width for c in row], colour,
                                    dash, name))
            frame.add_legend(svg.legend_line(colour, dash), name, f"{sum(row)} in all")
    return frame.render()
