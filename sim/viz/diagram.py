"""The message diagram: a Lamport (space-time) diagram of one window of the run.

Maelstrom's messages.svg, on a real time axis: the simulator knows when each message was sent
and delivered, so time runs down the page in seconds and an arrow's slope is its latency.
Lanes: nodes, then services, in Maelstrom's order; each client rides a side lane just left of
the node it talks to (marked c), so 25 nodes with a client each stay readable. Arrows are
coloured as Maelstrom's: anything to or from a client light blue, server to server (and to
services) black, error replies pink; a message dropped by a partition is dashed orange and
ends in a cross where it was dropped; one still in flight when the test ended is dashed grey
and runs off the bottom. Hovering an arrow shows its full body (cut at BODY_CHARS characters)
and its label; partitions shade their period and mark the lanes of the nodes that were cut.
The journal (sim.journal) keeps a bounded number of messages per window, so the diagram draws
at most that many and says how many it left out.
"""

import json
import math
import re

from sim.net import is_client
from sim.viz import svg
from sim.viz.svg import esc, num

WIDTH = 1120
LEFT, RIGHT = 70, 20
HEAD = 30               # the sticky lane-name header
MIN_PITCH = 24          # px between lanes
BODY_CHARS = 1200
LABEL_CHARS = 48
REPEAT_NAMES = 900      # px between repeated lane names
CLASS_COLOURS = {"c": svg.MSG_CLIENT, "s": svg.MSG_SERVER, "e": svg.MSG_ERROR,
                 "d": svg.DROPPED, "f": "#999999"}


def lane_key(name):
    """Clients first, then nodes, by number; services last."""
    m = re.fullmatch(r"([a-z]+)(\d+)", name)
    if m and m.group(1) == "c":
        return (0, int(m.group(2)), name)
    if m and m.group(1) == "n":
        return (1, int(m.group(2)), name)
    return (2, 0, name)


def label(body):
    """The message type, then the body without type, msg_id and in_reply_to, cut short."""
    if not isinstance(body, dict):
        return str(body)[:LABEL_CHARS]
    if body.get("type") == "error":
        text = f"error {body.get('code')} {body.get('text', '')}"
    else:
        rest = {k: v for k, v in body.items() if k not in ("type", "msg_id", "in_reply_to")}
        text = f"{body.get('type')} {json.dumps(rest, separators=(',', ':'))}" if rest \
            else str(body.get("type"))
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def full_body(body):
    text = json.dumps(body, default=repr)
    if len(text) > BODY_CHARS:
        text = f"{text[:BODY_CHARS]}… ({len(text) - BODY_CHARS} more characters)"
    return text


def kind(message):
    if message["dropped"]:
        return "d"
    if message["done"] is None:
        return "f"
    body = message["body"]
    if isinstance(body, dict) and body.get("type") == "error":
        return "e"
    if is_client(message["src"]) or is_client(message["dest"]):
        return "c"
    return "s"


class Layout:
    """A lane per node and service; each client on a side lane just left of the node it talks
    to (a client talks to one node), so client traffic stays short and server traffic readable
    even with 25 nodes and a client per worker, per setup step and per crash."""

    def __init__(self, messages, parts):
        ends = {n for m in messages for n in (m["src"], m["dest"])}
        self.home = {}                  # client -> node
        for m in messages:
            for a, b in ((m["src"], m["dest"]), (m["dest"], m["src"])):
                if is_client(a) and not is_client(b):
                    self.home.setdefault(a, b)
        servers = {n for n in ends if n not in self.home} | {n for p in parts for n in p.grudge}
        self.lanes = sorted(servers, key=lane_key)
        self.width = max(WIDTH, LEFT + RIGHT + MIN_PITCH * len(self.lanes))
        self.pitch = (self.width - LEFT - RIGHT) / max(1, len(self.lanes))
        self.x = {name: LEFT + (i + 0.5) * self.pitch for i, name in enumerate(self.lanes)}
        self.side = min(0.36 * self.pitch, 64)
        for client, node in self.home.items():
            self.x[client] = self.x[node] - self.side
        self.height = int(min(9000, max(360, 9 * len(messages))))
        t_from = messages[0]["sent"]
        t_to = max(m["done"] if m["done"] is not None else m["sent"] for m in messages)
        self.t_from, self.t_to = t_from, max(t_to, t_from + 1e-3)
        self.ys = svg.Linear(self.t_from, self.t_to, 16, self.height - 16)


def diagram(window, number, parts):
    """One window's diagram as HTML (a caption, a sticky lane header, the SVG), or ''."""
    messages = sorted(window["messages"], key=lambda m: m["sent"])
    if not messages:
        return ""
    layout = Layout(messages, parts)
    body = [_partitions(layout, parts), _lanes(layout), _time_axis(layout)]
    labels = Labels()
    body += [_arrow(layout, m, labels) for m in messages]
    svg_body = (f'<svg class="diagram" '
                f'viewBox="0 0 {layout.width} {layout.height}" width="{layout.width}" '
                f'height="{layout.height}" xmlns="http://www.w3.org/2000/svg">'
                + "".join(body) + "</svg>")
    return (f'<figure class="msgs" id="diagram-{number}">'
            f'<figcaption>{esc(caption(window, messages, layout.t_from, layout.t_to))}'
            f'</figcaption>'
            f'<div class="scroll">{_header(layout)}{svg_body}</div></figure>')


def caption(window, messages, t_from, t_to):
    shown = len(messages)
    span = f"{t_from:.3f}-{t_to:.3f} s"
    if window.get("tail"):
        seconds = f"{window['end'] - window['start']:g} s"
        if window.get("capped"):
            return (f"Diagram of the last {shown} messages of the test, capped at {shown}: the "
                    f"last {seconds} held more ({span}; --report-window START:END picks another "
                    f"window).")
        return f"Diagram of the {shown} messages sent in the last {seconds} of the test ({span})."
    start = "the start" if window.get("start") is None else f"{window['start']:g} s"
    asked = f"sent between {start} and {window['end']:g} s"
    total = window.get("total", shown)
    if total > shown:
        return (f"Diagram of the first {shown} of {total} messages {asked}: capped at {shown}, "
                f"so it ends at {t_to:.3f} s ({span}; --report-window START:END picks another "
                f"window).")
    return f"Diagram of all {shown} messages {asked} ({span})."


def _header(layout):
    names = "".join(f'<text x="{num(layout.x[n])}" y="20">{esc(n)}</text>' for n in layout.lanes)
    names += "".join(f'<text class="c" x="{num(layout.x[n] - layout.side)}" y="20">c</text>'
                     for n in sorted(set(layout.home.values())))
    return (f'<svg class="lanes" viewBox="0 0 {layout.width} {HEAD}" width="{layout.width}" '
            f'height="{HEAD}" xmlns="http://www.w3.org/2000/svg">'
            f'<text class="unit" x="4" y="20">time (s)</text>{names}</svg>')


def _lanes(layout):
    out = [f'<line class="lane" x1="{num(layout.x[n])}" y1="0" x2="{num(layout.x[n])}" '
           f'y2="{layout.height}"/>' for n in layout.lanes]
    clients = {}
    for client, node in layout.home.items():
        clients.setdefault(node, []).append(client)
    for node, names in clients.items():
        x = num(layout.x[node] - layout.side)
        names = ", ".join(sorted(names, key=lane_key))
        out.append(f'<line class="client-lane" x1="{x}" y1="0" x2="{x}" y2="{layout.height}">'
                   f'<title>clients of {esc(node)}: {esc(names)}</title></line>')
    for y in range(REPEAT_NAMES, layout.height - 100, REPEAT_NAMES):
        out += [f'<text class="again" x="{num(layout.x[n])}" y="{y}">{esc(n)}</text>'
                for n in layout.lanes]
    return "".join(out)


def _time_axis(layout):
    ys = layout.ys
    out = []
    for t in svg.nice_ticks(ys.lo, ys.hi, max(2, layout.height // 70)):
        y = num(ys(t))
        out.append(f'<line class="tick" x1="{LEFT - 8}" y1="{y}" x2="{layout.width - RIGHT}" '
                   f'y2="{y}"/><text class="ty" x="{LEFT - 10}" y="{y}">{t:.3f}</text>')
    return "".join(out)


def _partitions(layout, parts):
    """A band over the cut nodes' lanes for each partition's period; each cut lane is drawn
    thicker, the darker the more peers it drops."""
    ys, out = layout.ys, []
    for p in parts:
        lo, hi = max(p.start, ys.lo), min(p.end, ys.hi)
        lanes = [layout.x[n] for n in p.grudge if n in layout.x]
        if hi <= lo or not lanes:
            continue
        y1, y2 = ys(lo), ys(hi)
        left, right = min(lanes) - layout.pitch / 2, max(lanes) + layout.pitch / 2
        out.append(f'<rect class="band" x="{num(left)}" y="{num(y1)}" width="{num(right - left)}" '
                   f'height="{num(max(1, y2 - y1))}"><title>{esc(p.describe())}</title></rect>')
        peers = max(1, len(p.grudge) - 1)
        for dest, srcs in sorted(p.grudge.items()):
            if srcs and dest in layout.x:
                x = num(layout.x[dest])
                out.append(f'<line class="cut" x1="{x}" y1="{num(y1)}" x2="{x}" y2="{num(y2)}" '
                           f'stroke-opacity="{0.25 + 0.75 * min(1, len(srcs) / peers):.2f}">'
                           f'<title>{esc(dest)} drops messages from {esc(", ".join(srcs))}'
                           f'</title></line>')
    return "".join(out)


class Labels:
    """Greedy label placement: a label is shown when its row of LABEL_ROW px is free over its
    arrow's span; the others appear on hover."""

    LABEL_ROW = 12

    def __init__(self):
        self.rows = {}                  # row -> [(x1, x2)] taken

    def place(self, x1, x2, y):
        lo, hi = min(x1, x2), max(x1, x2)
        if hi - lo < 40:
            return False
        row = int(y // self.LABEL_ROW)
        for r in (row - 1, row, row + 1):
            if any(a < hi and lo < b for a, b in self.rows.get(r, ())):
                return False
        self.rows.setdefault(row, []).append((lo, hi))
        return True


def _arrow(layout, m, labels):
    k = kind(m)
    x1, y1 = layout.x[m["src"]], layout.ys(m["sent"])
    x2 = layout.x[m["dest"]]
    y2 = layout.ys(m["done"]) if m["done"] is not None else layout.height
    if k == "f":
        x2 = x1 + (x2 - x1) * 0.5
    tip = _tip(m)
    line = f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}"/>'
    mark = ""
    if k == "d":
        mark = f'<path class="x" d="M{num(x2 - 4)} {num(y2 - 4)}l8 8m0-8l-8 8"/>'
    shown = " on" if labels.place(x1, x2, (y1 + y2) / 2) else ""
    return (f'<g class="m {k}{shown}"><title>{esc(tip)}</title>{line}{mark}'
            f'{_label(x1, y1, x2, y2, m)}</g>')


def _tip(m):
    head = f"{m['src']} → {m['dest']}, sent {m['sent']:.4f} s"
    if m["dropped"]:
        head += f", dropped at {m['done']:.4f} s (partition)"
    elif m["done"] is None:
        head += ", still in flight when the test ended"
    else:
        head += f", delivered {m['done']:.4f} s ({(m['done'] - m['sent']) * 1000:.1f} ms)"
    return f"{head}\n{full_body(m['body'])}"


def _label(x1, y1, x2, y2, m):
    angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
    if x2 < x1:
        angle += 180
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    return (f'<text transform="translate({num(mx)} {num(my)}) rotate({num(angle)})" y="-3">'
            f'{esc(label(m["body"]))}</text>')


def legend():
    """An HTML legend for the arrow kinds."""
    items = [("c", "to or from a client"), ("s", "between servers and services"),
             ("e", "error reply"), ("d", "dropped by a partition"),
             ("f", "in flight when the test ended")]
    cells = "".join(f'<span class="key">{_swatch(k)}{esc(text)}</span>' for k, text in items)
    band = (f'<span class="key"><svg width="28" height="10"><rect width="28" height="10" '
            f'fill="{svg.PARTITION}"/></svg>partition (cut lanes thickened)</span>')
    return f'<p class="legend">{cells}{band}</p>'


def _swatch(k):
    dash = ' stroke-dasharray="5 3"' if k in ("d", "f") else ""
    return (f'<svg width="28" height="10"><line x1="0" y1="5" x2="28" y2="5" '
            f'stroke="{CLASS_COLOURS[k]}" stroke-width="2.5"{dash}/></svg>')
