"""Workload panels, chosen by what the data holds rather than by workload name:

stable latency   any checker result holding "stable_latencies" (broadcast, g-set: Jepsen's
                 set-full) gets its quantiles drawn as bars, with "lost_latencies" if present,
                 the element counts beside them and the slowest values to become stable;
cycles           any anomaly example holding a "cycle" (a list of steps with "from", "to" and
                 "type", as the txn checkers give) is drawn as a small graph: the transactions
                 on a circle, an arrow per dependency coloured by edge type; plus the per-model
                 verdicts when the result has "models";
offsets          any history whose ok ops carry ["send", key, [offset, msg]] micro-ops (kafka)
                 gets the offset of every acknowledged send over time, a colour and a line per
                 key, on the report's shared time axis.
Each panel reads only what is there and skips what is missing.
"""

import json
import math

from sim.viz import svg, timeplots
from sim.viz.svg import esc, num

COUNT_KEYS = ("attempt_count", "stable_count", "lost_count", "never_read_count", "stale_count",
              "duplicated_count", "unexpected_count")
EDGE_COLOURS = {"ww": "#D62728", "wr": "#1F77B4", "rw": "#2CA02C", "process": "#9467BD",
                "realtime": "#8C564B"}
KEY_COLOURS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2",
               "#7F7F7F", "#BCBD22", "#17BECF")
MAX_CYCLES = 6


def walk(value, path=()):
    """Every dict nested in value, with the keys leading to it."""
    if isinstance(value, dict):
        yield path, value
        for k, v in value.items():
            yield from walk(v, path + (str(k),))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, path + (str(i),))


def panels(result, ops, span, parts, windows):
    """HTML sections for a workload checker result and the paired ops."""
    out = []
    stable = next((d for _, d in walk(result) if isinstance(d.get("stable_latencies"), dict)),
                  None)
    if stable is not None:
        out.append(stable_panel(stable))
    cycles = [(cycle_name(path), d) for path, d in walk(result) if is_cycle(d.get("cycle"))]
    if cycles:
        out.append(cycles_panel(cycles, result.get("models")))
    offsets = send_offsets(ops)
    if offsets:
        out.append(offsets_panel(offsets, span, parts, windows))
    return out


def section(title, anchor, body):
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>{body}</section>'


# --- stable latency ---------------------------------------------------------------------------

def stable_panel(d):
    series = [("stable", d["stable_latencies"], svg.OUTCOME["ok"])]
    if isinstance(d.get("lost_latencies"), dict):
        series.append(("lost", d["lost_latencies"], svg.OUTCOME["fail"]))
    counts = [(k[:-6].replace("_", " "), d[k]) for k in COUNT_KEYS if isinstance(d.get(k), int)]
    table = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in counts)
    worst = d.get("worst_stale") or []
    slow = ", ".join(f"{esc(w.get('value'))}: {esc(w.get('stable_latency'))} ms"
                     for w in worst if isinstance(w, dict))
    slow_html = f"<p>Slowest to become stable: {slow}.</p>" if slow else ""
    body = (f'<div class="row">{quantile_bars(series)}<table class="kv">{table}</table></div>'
            f"{slow_html}<p>Stable latency: from the moment a value is known (its broadcast "
            f"acknowledged or a read saw it) until every later read sees it.</p>")
    return section("Stable latency", "stable", body)


def quantile_bars(series):
    rows = [(name, q, ms, colour) for name, qs, colour in series
            for q, ms in qs.items() if isinstance(ms, (int, float))]
    height = 40 + 22 * len(rows)
    width, left = 640, 140
    top = max([ms for _, _, ms, _ in rows] + [1])
    xs = svg.Linear(0, top * 1.1, left, width - 70)
    out = [f'<svg class="bars" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'xmlns="http://www.w3.org/2000/svg"><g class="grid">']
    for t in xs.ticks(6):
        x = num(xs(t))
        out.append(f'<line x1="{x}" y1="10" x2="{x}" y2="{height - 24}"/>'
                   f'<text class="tx" x="{x}" y="{height - 8}">{svg.fmt_tick(t)}</text>')
    out.append("</g>")
    for i, (name, q, ms, colour) in enumerate(rows):
        y = 14 + 22 * i
        out.append(f'<text class="ty" x="{left - 8}" y="{y + 8}">{esc(name)} '
                   f'{esc(svg.QUANTILES.get(q, q))}</text>'
                   f'<rect x="{left}" y="{y}" width="{num(max(1, xs(ms) - left))}" height="16" '
                   f'fill="{colour}"><title>{esc(name)} q{esc(q)}: {ms} ms</title></rect>'
                   f'<text class="val" x="{num(xs(ms) + 5)}" y="{y + 12}">{ms} ms</text>')
    out.append("</svg>")
    return "".join(out)


# --- dependency cycles -----------------------------------------------------------------------

def is_cycle(steps):
    return (isinstance(steps, list) and steps
            and all(isinstance(s, dict) and "from" in s and "to" in s for s in steps))


def txn_id(end):
    if isinstance(end, dict):
        return end.get("index")
    return end


def cycle_name(path):
    """The anomaly a cycle illustrates: the last key on its path that is not a list index."""
    return next((p for p in reversed(path) if not p.isdigit()), "cycle")


def cycles_panel(cycles, models):
    """The first cycle of each anomaly type, then more, up to MAX_CYCLES."""
    seen, first, rest = set(), [], []
    for name, d in cycles:
        (rest if name in seen else first).append((name, d))
        seen.add(name)
    figures = [cycle_figure(name, d["cycle"]) for name, d in (first + rest)[:MAX_CYCLES]]
    more = len(cycles) - len(figures)
    note = f"<p>{more} more cycle example(s) in results.json.</p>" if more > 0 else ""
    key = "".join(f'<span class="key"><svg width="28" height="10"><line x1="0" y1="5" x2="28" '
                  f'y2="5" stroke="{c}" stroke-width="2.5"/></svg>{k}</span>'
                  for k, c in EDGE_COLOURS.items())
    body = (f'<p class="legend">{key}</p><div class="cycles">{"".join(figures)}</div>{note}'
            f"{models_table(models)}")
    return section("Dependency cycles", "cycles", body)


def cycle_figure(name, steps):
    nodes = []
    for s in steps:
        for end in (s["from"], s["to"]):
            if txn_id(end) not in [txn_id(n) for n in nodes]:
                nodes.append(end)
    size, r = 320, 110 if len(nodes) > 2 else 70
    centre = size / 2
    pos = {}
    for i, n in enumerate(nodes):
        a = -math.pi / 2 + 2 * math.pi * i / len(nodes)
        pos[txn_id(n)] = (centre + r * math.cos(a), centre + r * math.sin(a))
    top = min(y for _, y in pos.values()) - 40
    height = max(y for _, y in pos.values()) + 40 - top
    out = [f'<svg class="cycle" viewBox="0 {num(top)} {size} {num(height)}" width="{size}" '
           f'height="{num(height)}" xmlns="http://www.w3.org/2000/svg">']
    for s in steps:
        out.append(_edge(pos[txn_id(s["from"])], pos[txn_id(s["to"])], s, centre))
    for n in nodes:
        x, y = pos[txn_id(n)]
        tip = esc(n) if not isinstance(n, dict) else esc(
            f"op {n.get('index')}, process {n.get('process')}, {n.get('type')}: {n.get('value')}")
        out.append(f'<a href="#op-{esc(txn_id(n))}"><g class="txn"><title>{tip}</title>'
                   f'<circle cx="{num(x)}" cy="{num(y)}" r="19"/>'
                   f'<text x="{num(x)}" y="{num(y + 4)}">T{esc(txn_id(n))}</text></g></a>')
    out.append("</svg>")
    items = "".join(f"<li>{esc(describe_step(s))}</li>" for s in steps)
    return f'<figure class="cyc"><figcaption>{esc(name)}</figcaption>{"".join(out)}' \
           f'<ol class="steps">{items}</ol></figure>'


def _edge(a, b, step, centre):
    """A curved arrow from a to b, bowed away from the centre (or, between two nodes facing
    each other, to the left of its direction, so a pair of opposite edges stays apart)."""
    kind = str(step.get("type"))
    colour = EDGE_COLOURS.get(kind, "#555555")
    (x1, y1), (x2, y2) = a, b
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    nx, ny = (y2 - y1) / length, -(x2 - x1) / length
    if math.hypot(mx - centre, my - centre) > 1 and (mx - centre) * nx + (my - centre) * ny < 0:
        nx, ny = -nx, -ny
    cx, cy = mx + nx * 30, my + ny * 30
    # shorten both ends to the circles' rims
    ux1, uy1 = _towards(x1, y1, cx, cy, 20)
    ux2, uy2 = _towards(x2, y2, cx, cy, 22)
    label = kind + (f" {step['key']}" if "key" in step else "")
    return (f'<g class="edge"><title>{esc(describe_step(step))}</title>'
            f'<path d="M{num(ux1)} {num(uy1)}Q{num(cx)} {num(cy)} {num(ux2)} {num(uy2)}" '
            f'fill="none" stroke="{colour}" stroke-width="2" '
            f'marker-end="url(#head-{colour.lstrip("#")})"/>'
            f'<text x="{num(cx)}" y="{num(cy)}" fill="{colour}">{esc(label)}</text></g>')


def _towards(x, y, tx, ty, dist):
    d = math.hypot(tx - x, ty - y) or 1.0
    return x + (tx - x) / d * dist, y + (ty - y) / d * dist


def describe_step(s):
    """'T1 → T2: rw on key 3, 1 then 2 (via final state)' from what the step holds."""
    text = f"T{txn_id(s['from'])} → T{txn_id(s['to'])}: {s.get('type')}"
    if "key" in s:
        text += f" on key {json.dumps(s['key'])}"
    if "value" in s:
        text += f", {json.dumps(s['value'])}"
        if "value'" in s:
            text += " then " + json.dumps(s["value'"])
    if "via" in s:
        text += f" (via {s['via']})"
    return text


def models_table(models):
    if not isinstance(models, dict) or not models:
        return ""
    rows = []
    for name, v in models.items():
        if not isinstance(v, dict):
            continue
        holds = v.get("holds")
        verdict = holds if holds in (True, False) else "unknown"
        found = ", ".join(v.get("found") or []) or "-"
        rows.append(f'<tr><th>{esc(name)}</th><td class="verdict" style="background:'
                    f'{svg.VERDICT[verdict]}">{esc(json.dumps(holds))}</td><td>{esc(found)}'
                    f'</td></tr>')
    return ('<table class="grid-table"><tr><th>model</th><th>holds</th><th>anomalies found'
            f'</th></tr>{"".join(rows)}</table>') if rows else ""


# --- kafka offsets -----------------------------------------------------------------------------

def send_offsets(ops):
    """{key: [(completed s, offset)]} of acknowledged sends, from ok ops' micro-ops."""
    out = {}
    for op in ops:
        if op.type != "ok":
            continue
        value = op.complete.get("value")
        if not isinstance(value, list):
            continue
        for mop in value:
            if (isinstance(mop, list) and len(mop) == 3 and mop[0] == "send"
                    and isinstance(mop[2], list) and mop[2] and isinstance(mop[2][0], int)):
                out.setdefault(str(mop[1]), []).append((op.end, mop[2][0]))
    return out


def offsets_panel(offsets, span, parts, windows):
    frame = svg.Frame(340, f"Offset of each acknowledged send, a colour per key "
                           f"({len(offsets)} keys)", "offsets")
    xs = timeplots.time_scale(frame, span)
    top = max(o for pts in offsets.values() for _, o in pts)
    ys = svg.Linear(0, max(1, top * 1.05), frame.y1, frame.y0)
    frame.body.append(frame.axes(xs, ys, "Time (s)", "Offset"))
    frame.body.append(timeplots.decorate(frame, xs, parts, windows))
    total = sum(len(p) for p in offsets.values())
    step = max(1, -(-total // timeplots.POINT_CAP))
    for i, (key, pts) in enumerate(sorted(offsets.items(), key=lambda kv: kv[1][0])):
        colour = KEY_COLOURS[i % len(KEY_COLOURS)]
        pts = sorted(pts)
        coords = [(xs(t), ys(o)) for t, o in pts[::step]]
        line = " ".join(f"{num(x)},{num(y)}" for x, y in coords)
        frame.body.append(f'<g class="key-series"><title>key {esc(key)}: {len(pts)} sends'
                          f'</title><polyline points="{line}" fill="none" stroke="{colour}" '
                          f'stroke-width="1" stroke-opacity="0.6"/>'
                          f'{svg.points_path(coords, "circle", colour)}</g>')
    if step > 1:
        frame.body.append(f'<text class="note" x="{frame.x1}" y="18" text-anchor="end">every '
                          f'{step}th send shown</text>')
    frame.add_legend(svg.legend_marker("circle", KEY_COLOURS[0]), "a send (colour: key)",
                     f"{total} acknowledged sends")
    body = (f"{frame.render()}<p>Each key's acknowledged sends in completion order, joined by a "
            f"line: a key's offsets should climb; the kafka checker above judges them.</p>")
    return section("Offsets per key", "offsets", body)
