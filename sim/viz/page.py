"""The report page: verdict banner, checker and net tables, errors linked to their ops, the time
plots, the workload panels, the message diagrams and the message counts, in one HTML file.

Sections appear only when their data is there (a saved run without a journal has no diagrams;
a run without errors has no error list). The page has no script and loads nothing: the CSS is
inline and every chart is inline SVG whose hover text is an SVG <title>.
"""

import json
import math
import os

from sim.checkers.linearizable import DEFAULT_TIMEOUT_S
from sim.viz import diagram, panels, svg, timeplots
from sim.viz.ops import pair_ops, partitions, time_span
from sim.viz.svg import VERDICT, esc

DETAILS_CHARS = 20000
VALUE_CHARS = 240
MAX_EXAMPLES = 60
LINKS_PER_EXAMPLE = 8


def verdict_of(value):
    return value if value in (True, False) else "unknown"


def verdict_cell(value, tag="td"):
    v = verdict_of(value)
    text = {True: "valid", False: "invalid", "unknown": "unknown"}[v]
    return f'<{tag} class="verdict" style="background:{VERDICT[v]}">{text}</{tag}>'


def short_json(value, limit=VALUE_CHARS):
    text = json.dumps(value, default=repr, separators=(", ", ": "))
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- header and tables ----------------------------------------------------------------------

def header(results):
    o = results.get("opts") or {}
    v = verdict_of(results.get("valid"))
    word = {True: "Valid", False: "Invalid", "unknown": "Unknown"}[v]
    facts = run_facts(results, o)
    models = o.get("consistency_models")
    if models and results.get("workload", "").startswith("txn"):
        facts.append("models " + ", ".join(models))
    run = os.path.basename(str(results.get("run_dir", "")))
    stats = f"{results.get('op_count', '?')} ops in {results.get('duration', '?')} s" \
            f" (wall {results.get('wall_seconds', '?')} s)"
    if results.get("source"):
        stats = f"{results.get('op_count', '?')} ops"
    return (f'<header><h1>{esc(results.get("workload", "run"))} <small>{esc(run)}</small></h1>'
            f'<div class="banner" style="background:{VERDICT[v]}"><b>{word}</b>'
            f'<span>{esc(stats)}</span></div><p class="facts">{esc(" · ".join(facts))}</p>'
            f'<p class="cmd"><code>{esc(command(results))}</code></p></header>')


def run_facts(results, o):
    """The run's flags as facts; for an imported history (sim check FILE.edn), its file."""
    if results.get("source"):
        return [f"history {results['source'].get('file')}", "imported: no net counts"]
    facts = [f"{o.get('node_count', '?')} node(s)", f"{o.get('time_limit', '?')} s",
             f"rate {o.get('rate', '?')}", f"concurrency {o.get('concurrency', '?')}",
             f"latency {o.get('latency', 0)} ms {o.get('latency_dist', '')}".strip(),
             f"nemesis {', '.join(o.get('nemesis') or []) or 'none'}",
             f"seed {results.get('seed')}"]
    if o.get("topology") and results.get("workload") == "broadcast":
        facts.insert(4, f"topology {o['topology']}")
    return facts


# (flag, option, value left out of the command line)
FLAGS = (("--node-count", "node_count", None), ("--time-limit", "time_limit", None),
         ("--rate", "rate", None), ("--concurrency", "concurrency", None),
         ("--latency", "latency", 0), ("--latency-dist", "latency_dist", "constant"),
         ("--topology", "topology", "grid"), ("--nemesis", "nemesis", []),
         ("--nemesis-interval", "nemesis_interval", 10), ("--availability", "availability", None),
         ("--consistency-models", "consistency_models", ["strict-serializable"]),
         ("--linearizability-timeout", "linearizability_timeout", DEFAULT_TIMEOUT_S),
         ("--initial", "initial", None),
         ("--seed", "seed", None))


def command(results):
    """The command line that repeats the run (the options that differ from the defaults)."""
    o = results.get("opts") or {}
    parts = ["python3 -m sim test", "-w", str(results.get("workload")), "--bin", str(o.get("bin"))]
    if results.get("source"):
        parts[:5] = ["python3 -m sim check", str(results["source"].get("file")), "-w",
                     str(results.get("workload"))]
    for flag, key, default in FLAGS:
        value = o.get(key)
        if value is None or value == default:
            continue
        if flag == "--nemesis-interval" and not o.get("nemesis"):
            continue
        if isinstance(value, list):
            value = ",".join(map(str, value))
        parts += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return " ".join(parts)


def checker_summary(name, c):
    if name == "stats" and "count" in c:
        by_f = "; ".join(f"{f} {s.get('ok_count')}/{s.get('count')} ok"
                         for f, s in (c.get("by_f") or {}).items())
        return (f"{c['count']} completions: {c.get('ok_count')} ok, {c.get('fail_count')} fail, "
                f"{c.get('info_count')} info ({by_f})")
    if name == "availability" and "ok_fraction" in c:
        need = f", required {c['required']}" if c.get("required") is not None else ""
        return f"ok-fraction {c['ok_fraction']:.4g}{need}"
    if name == "net" and isinstance(c.get("all"), dict):
        return (f"{c['all'].get('msgs_per_op', 0):.4g} msgs per op, servers "
                f"{c.get('servers', {}).get('msgs_per_op', 0):.4g}")
    shown = []
    for k, v in c.items():
        if k == "valid":
            continue
        if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
            shown.append(f"{k}: {'; '.join(v[:3])}{' …' if len(v) > 3 else ''}")
        elif isinstance(v, (int, float, str, bool)) or v is None:
            shown.append(f"{k} {v}")
    return ", ".join(shown[:8]) or "-"


def checkers_table(results):
    rows = []
    for name, c in (results.get("checkers") or {}).items():
        if not isinstance(c, dict):
            continue
        full = json.dumps(c, indent=1, default=repr)
        if len(full) > DETAILS_CHARS:
            full = full[:DETAILS_CHARS] + f"\n… ({len(full) - DETAILS_CHARS} more characters " \
                                          f"in results.json)"
        rows.append(f'<tr><th>{esc(name)}</th>{verdict_cell(c.get("valid"))}'
                    f'<td><details><summary>{esc(checker_summary(name, c))}</summary>'
                    f'<pre>{esc(full)}</pre></details></td></tr>')
    return ('<section id="checkers"><h2>Checkers</h2><table class="grid-table checkers">'
            '<tr><th>checker</th><th>valid?</th><th>summary (click for the full result)</th>'
            f'</tr>{"".join(rows)}</table></section>')


def net_table(results):
    net = results.get("net") or {}
    rows = "".join(f"<tr><th>{g}</th><td>{net[g].get('send_count', '')}</td>"
                   f"<td>{net[g].get('recv_count', '')}</td><td>{net[g].get('msg_count', '')}</td>"
                   f"<td>{net[g].get('msgs_per_op', 0):.4g}</td></tr>"
                   for g in ("all", "clients", "servers") if isinstance(net.get(g), dict))
    av = results.get("availability") or {}
    lat = results.get("op_latencies") or {}
    lat_row = " · ".join(f"{svg.QUANTILES.get(q, q)} {v:g} ms" for q, v in lat.items())
    extra = []
    if "ok_fraction" in av:
        extra.append(f"Availability: ok-fraction {av['ok_fraction']:.4g} "
                     f"({'valid' if av.get('valid') else 'invalid'}).")
    if lat_row:
        extra.append(f"Op latency: {lat_row}.")
    return ('<section id="net"><h2>Network</h2><table class="grid-table num">'
            '<tr><th></th><th>sent</th><th>received</th><th>messages</th><th>msgs per op</th>'
            f'</tr>{rows}</table><p>{esc(" ".join(extra))}</p></section>')


# --- errors and the ops they point at ---------------------------------------------------------

def op_refs(value):
    """History indices of the ops a checker example points at (dicts with index and process)."""
    return sorted({d["index"] for _, d in panels.walk(value)
                   if isinstance(d.get("index"), int) and "process" in d})


ERROR_KEYS = ("errors", "anomalies", "examples")


def examples(result):
    """(group name, example) for each example a checker result lists: a dict in a list that
    points at ops, or any dict listed under an errors / anomalies / examples key."""
    out = []

    def visit(value, name, listed):
        if isinstance(value, dict):
            for k, v in value.items():
                visit(v, name if k in ERROR_KEYS else k, listed or k in ERROR_KEYS)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and (listed or op_refs(item)):
                    out.append((name, item))
    visit(result, "workload", False)
    return out


def errors_section(results, by_index, windows):
    texts = list(results.get("errors") or [])
    checkers = results.get("checkers") or {}
    texts += [f"exception: {e}" for e in (checkers.get("exceptions") or {}).get("exceptions", [])]
    found = examples(checkers.get("workload") or {})
    if not texts and not found:
        return "", []
    items = "".join(f"<li>{esc(t)}</li>" for t in texts[:50])
    rows, refs = [], []
    for name, ex in found[:MAX_EXAMPLES]:
        idx = [i for i in op_refs(ex) if i in by_index][:LINKS_PER_EXAMPLE]
        refs += idx
        links = " ".join(f'<a href="#op-{i}">op {i}{_at(by_index, i)}</a>' for i in idx) or "-"
        rows.append(f"<tr><th>{esc(name)}</th><td>{links}</td><td>{describe(ex)}</td></tr>")
    more = len(found) - MAX_EXAMPLES
    table = ""
    if rows:
        table = ('<h3>Examples, linked to their ops</h3><table class="grid-table examples">'
                 '<tr><th>what</th><th>where</th><th>example</th></tr>' + "".join(rows)
                 + "</table>" + (f"<p>{more} more in results.json.</p>" if more > 0 else ""))
    refs = sorted(set(refs))
    body = (f'<section id="errors"><h2>Errors and anomalies</h2>'
            f'{"<ul>" + items + "</ul>" if items else ""}{table}'
            f'{ops_table(refs, by_index, windows)}</section>')
    return body, refs


def describe(example):
    """A cycle as its steps (drawn under Dependency cycles), anything else as short JSON."""
    if panels.is_cycle(example.get("cycle")):
        steps = "; ".join(panels.describe_step(step) for step in example["cycle"])
        return f'<a href="#cycles">cycle</a>: {esc(steps)}'
    return f"<code>{esc(short_json(example, 400))}</code>"


def _at(by_index, index):
    entry = by_index.get(index)
    return f" ({entry['time'] / 1e9:.3f} s)" if entry and "time" in entry else ""


def ops_table(refs, by_index, windows):
    rows = []
    for i in refs:
        e = by_index[i]
        t = e.get("time", 0) / 1e9
        where = "".join(f' <a href="#diagram-{k + 1}">diagram {k + 1}</a>'
                        for k, w in enumerate(windows) if w["from"] <= t <= w["to"])
        err = f" error {short_json(e['error'], 80)}" if e.get("error") else ""
        rows.append(f'<tr id="op-{i}"><td>{i}</td><td>{t:.4f}{where}</td>'
                    f'<td>{esc(e.get("process"))}</td><td>{esc(e.get("type"))}</td>'
                    f'<td>{esc(e.get("f"))}</td><td><code>{esc(short_json(e.get("value")))}'
                    f'{esc(err)}</code></td></tr>')
    if not rows:
        return ""
    return ('<h3>The ops they point at</h3><table class="grid-table ops"><tr><th>index</th>'
            '<th>time (s)</th><th>process</th><th>type</th><th>f</th><th>value</th></tr>'
            + "".join(rows) + "</table>")


# --- messages --------------------------------------------------------------------------------

def diagram_windows(journal):
    """(window dict, (from, to)) for each journal window with messages to draw."""
    out = []
    for w in (journal or {}).get("windows", []):
        msgs = w.get("messages") or []
        if msgs:
            lo = min(m["sent"] for m in msgs)
            hi = max(m["done"] if m["done"] is not None else m["sent"] for m in msgs)
            out.append((w, {"from": lo, "to": hi}))
    return out


def messages_section(windows, parts):
    figures = [diagram.diagram(w, i + 1, parts) for i, (w, _) in enumerate(windows)]
    figures = [f for f in figures if f]
    if not figures:
        return ""
    return (f'<section id="messages"><h2>Messages</h2>{diagram.legend()}'
            f'<p>Time runs down. A lane per node and service; each client (c) rides a dashed '
            f'lane just left of the node it talks to. Hover an arrow for its full body, a band '
            f'for its partition.</p>{"".join(figures)}</section>')


def counts_section(journal):
    if not journal or not journal.get("types"):
        return ""
    types = list(journal["types"].items())
    rows = "".join(f"<tr><th>{esc(t)}</th><td>{n}</td></tr>" for t, n in types[:30])
    return (f'<section id="counts"><h2>Message counts</h2><div class="row">'
            f'<table class="grid-table num"><tr><th>type</th><th>sent</th></tr>{rows}</table>'
            f'<figure>{pair_matrix(journal.get("pairs") or [])}<figcaption>Messages sent from '
            f'each row to each column over the whole test (darker: more; clients as one lane)'
            f'; hover a cell for its count.</figcaption></figure></div></section>')


def pair_matrix(pairs):
    """Messages per (source, destination) lane as a heat map: the topology, as used."""
    lanes = sorted({p[0] for p in pairs} | {p[1] for p in pairs}, key=diagram.lane_key)
    if not lanes or len(lanes) > 80:
        return ""
    cell, left, top = 16, 70, 70
    size_w, size_h = left + cell * len(lanes) + 10, top + cell * len(lanes) + 10
    top_n = max(p[2] for p in pairs)
    at = {name: i for i, name in enumerate(lanes)}
    out = [f'<svg class="matrix" viewBox="0 0 {size_w} {size_h}" width="{size_w}" '
           f'height="{size_h}" xmlns="http://www.w3.org/2000/svg">'
           f'<text class="corner" x="{left}" y="12">to →</text>'
           f'<text class="corner" x="4" y="{top - 4}">from ↓</text>']
    for name, i in at.items():
        c = left + i * cell + cell / 2
        out.append(f'<text class="ty" x="{left - 4}" y="{top + i * cell + 12}">{esc(name)}</text>'
                   f'<text class="tv" transform="translate({c + 4} {top - 4}) rotate(-90)">'
                   f'{esc(name)}</text>')
    for src, dest, n in pairs:
        shade = 0.12 + 0.88 * math.log1p(n) / math.log1p(top_n)
        out.append(f'<rect x="{left + at[dest] * cell}" y="{top + at[src] * cell}" '
                   f'width="{cell - 1}" height="{cell - 1}" fill="#1F5FA8" '
                   f'fill-opacity="{shade:.2f}"><title>{esc(src)} → {esc(dest)}: {n}</title>'
                   f'</rect>')
    out.append("</svg>")
    return "".join(out)


# --- the page ----------------------------------------------------------------------------------

def files_section():
    links = " · ".join(f'<a href="{f}">{f}</a>' for f in
                       ("results.json", "history.jsonl", "node-logs/"))
    return f'<footer>Files of this run: {links}. Drawn by python3 -m sim (sim/viz).</footer>'


def render(results, history, journal=None):
    """The report as an HTML string."""
    ops = pair_ops(history)
    span = time_span(history, results)
    parts = partitions(history, span[1])
    windows = diagram_windows(journal)
    marks = [w for _, w in windows]
    by_index = {e["index"]: e for e in history if isinstance(e.get("index"), int)}
    errors_html, refs = errors_section(results, by_index, marks)
    ref_set = set(refs)
    flagged = [op for op in ops if op.invoke.get("index") in ref_set
               or (op.complete or {}).get("index") in ref_set]
    workload = (results.get("checkers") or {}).get("workload") or {}
    plots = [timeplots.latency_chart(ops, span, parts, marks, flagged),
             timeplots.throughput_chart(ops, span, parts, marks),
             timeplots.traffic_chart(journal, span, parts, marks)]
    body = [header(results), nav(errors_html, journal),
            f'<div class="pair">{checkers_table(results)}{net_table(results)}</div>', errors_html,
            '<section id="time"><h2>Over time</h2>' + "".join(plots) + "</section>",
            *panels.panels(workload, ops, span, parts, marks),
            messages_section(windows, parts), counts_section(journal), files_section()]
    colours = sorted(set(svg.OUTCOME.values()) | set(panels.KEY_COLOURS)
                     | set(panels.EDGE_COLOURS.values()) | set(diagram.CLASS_COLOURS.values()))
    title = f"{results.get('workload', 'run')}: {verdict_word(results.get('valid'))}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f'<title>{esc(title)}</title><style>{CSS}</style></head>'
            f'<body data-op-count="{results.get("op_count", "")}" '
            f'data-valid="{esc(verdict_of(results.get("valid")))}">'
            f'{svg.marker_defs(colours)}<main>{"".join(body)}</main></body></html>\n')


def verdict_word(valid):
    return {True: "valid", False: "invalid", "unknown": "unknown"}[verdict_of(valid)]


def nav(errors_html, journal):
    links = [("checkers", "Checkers"), ("net", "Network")]
    if errors_html:
        links.append(("errors", "Errors"))
    links.append(("time", "Over time"))
    if journal:
        links += [("messages", "Messages"), ("counts", "Counts")]
    return '<nav>' + " ".join(f'<a href="#{a}">{t}</a>' for a, t in links) + "</nav>"


CSS = """
body{margin:0;background:#f6f7f9;color:#1d2330;font:14px/1.45 -apple-system,"Segoe UI",
Helvetica,Arial,sans-serif}
main{max-width:1160px;margin:0 auto;padding:18px 20px 40px}
h1{font-size:24px;margin:4px 0 10px}h1 small{font-size:14px;color:#6b7280;font-weight:normal}
h2{font-size:18px;margin:0 0 10px}h3{font-size:15px;margin:14px 0 6px}
section,header{background:#fff;border:1px solid #e3e6eb;border-radius:8px;padding:14px 18px;
margin:14px 0;overflow-x:auto}
.banner{display:flex;gap:18px;align-items:baseline;padding:10px 16px;border-radius:6px;
font-size:16px}.banner b{font-size:22px}
.facts{color:#4b5563;margin:8px 0 2px}.cmd code{font-size:12px;color:#4b5563}
nav{position:sticky;top:0;z-index:5;background:#f6f7f9ee;padding:6px 0}
nav a{margin-right:14px;color:#1f5fa8;text-decoration:none;font-weight:600}
a{color:#1f5fa8}
table.grid-table{border-collapse:collapse;margin:4px 0}
.grid-table th,.grid-table td{border:1px solid #e3e6eb;padding:4px 9px;text-align:left;
vertical-align:top}.grid-table th{background:#f3f4f6;font-weight:600}
.grid-table.num td{text-align:right;font-variant-numeric:tabular-nums}
td.verdict{font-weight:700;text-align:center;min-width:64px}
table.kv th{text-align:left;padding-right:12px;font-weight:normal;color:#4b5563}
details summary{cursor:pointer}details pre{max-height:360px;overflow:auto;background:#f8f9fb;
padding:8px;font-size:12px}
code{font-size:12px;word-break:break-all}
tr:target{background:#fff3b0;box-shadow:0 0 0 2px #f0b429 inset}
.row{display:flex;gap:28px;align-items:flex-start;flex-wrap:wrap}
.pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:14px;margin:14px 0}
.pair section{margin:0}
.checkers td:last-child{word-break:break-word}
svg text{font:11px Helvetica,Arial,sans-serif;fill:#374151}
svg.defs{position:absolute}
svg.chart{display:block;max-width:100%;height:auto;margin:6px 0 12px}
.chart .title{font-size:13px;font-weight:600;fill:#1d2330}
.chart .note{fill:#b45309}
.grid line{stroke:#eceef1}.grid .tx,.tx{text-anchor:middle}
.ty{text-anchor:end;dominant-baseline:middle}
.plotbox{fill:none;stroke:#c5cad3}
.xl,.yl{text-anchor:middle;fill:#4b5563}
.band{fill:#E9DCA0;fill-opacity:.6}
.wmark rect{fill:#9ca3af}.wmark text{font-size:10px;fill:#4b5563}.wmark:hover rect{fill:#1f5fa8}
.ring{fill:none;stroke:#d00;stroke-width:1.6}
.lg text{font-size:11.5px}
.val{font-size:10.5px}
.legend .key{display:inline-flex;align-items:center;gap:6px;margin-right:16px}
figure{margin:8px 0 18px}figcaption{color:#4b5563;margin:4px 0}
.msgs .scroll{max-height:80vh;overflow:auto;border:1px solid #e3e6eb;border-radius:6px}
svg.lanes{position:sticky;top:0;z-index:2;background:#fffffff0;display:block;
border-bottom:1px solid #e3e6eb}
svg.lanes text{text-anchor:middle;font-weight:600}svg.lanes .unit{text-anchor:start;
font-weight:normal;fill:#6b7280}
svg.diagram{display:block}
.diagram .lane{stroke:#ccc}.diagram .client-lane{stroke:#dde3ea;stroke-dasharray:2 3}
svg.lanes .c{fill:#9ca3af;font-weight:normal;font-size:10px}.diagram .tick{stroke:#f1f2f4}
.diagram .again{text-anchor:middle;fill:#b0b5bd}
.diagram .band{fill-opacity:.35}.diagram .cut{stroke:#b89a2e;stroke-width:6}
.m line{stroke-width:1.6}
.m.c line{stroke:#81BFFC;marker-end:url(#head-81BFFC)}
.m.s line{stroke:#222222;marker-end:url(#head-222222)}
.m.e line{stroke:#FF1E90;marker-end:url(#head-FF1E90)}
.m.d line{stroke:#D96918;stroke-dasharray:5 3}.m .x{stroke:#D96918;stroke-width:2}
.m.f line{stroke:#999;stroke-dasharray:3 3}
.m text{font-size:9.5px;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px;
fill:#111;display:none}
.m.on text{display:inline}
.m:hover line{stroke-width:3.5}.m:hover text{display:inline;font-size:11px;font-weight:600}
.cycles{display:flex;flex-wrap:wrap;gap:18px}.cyc{margin:0;max-width:340px}
.cyc figcaption{font-weight:700;color:#1d2330}
.txn circle{fill:#eef4fb;stroke:#1f5fa8;stroke-width:1.5}.txn text{text-anchor:middle;
font-weight:700}
.edge text{font-size:10.5px;font-weight:600;text-anchor:middle;paint-order:stroke;stroke:#fff;
stroke-width:3px}
ol.steps{font-size:12px;padding-left:22px;margin:4px 0}
.matrix .tv,.matrix .corner{text-anchor:start;font-size:10px}.matrix .ty{font-size:10px}
.matrix .corner{fill:#6b7280}
footer{color:#6b7280;font-size:12px;margin:18px 4px}
"""


FILENAME = "report.html"


def write(run_dir, results, history, journal=None):
    """Write run_dir/report.html; returns its path."""
    path = os.path.join(run_dir, FILENAME)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(render(results, history, journal))
    os.replace(tmp, path)
    return path
