"""`python3 -m sim serve [--port 8080] [--store DIR]`: browse the store's runs over HTTP.

Standard library only (http.server), bound to 127.0.0.1. Pages:
  /                 every run, newest first: workload, time, verdict in Jepsen's colours, ops,
                    msgs-per-op, and links to its report and files (read from results.json;
                    a run without one, e.g. a node that failed to start, shows as unknown);
  /<run>/           the run's files (results.json, history.jsonl, report.html first);
  /<run>/<file>     the file itself; a saved run without report.html (one from before reports)
                    gets one drawn on request from results.json and history.jsonl, without
                    message diagrams, as the journal is not saved.
A path is served only when it resolves inside the store: `latest` and other symlinks that stay
inside are fine, `..` or a link leading out gets 404.
"""

import argparse
import html
import json
import mimetypes
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sim.viz import page as viz
from sim.viz.svg import VERDICT

FIRST_FILES = ("report.html", "results.json", "history.jsonl", "node-logs")
TYPES = {".jsonl": "text/plain", ".log": "text/plain", ".edn": "text/plain",
         ".json": "application/json", ".html": "text/html", ".png": "image/png"}


def resolve(store, url_path):
    """The real path under store for a URL path, or None when it is outside (or missing)."""
    root = os.path.realpath(store)
    parts = [p for p in urllib.parse.unquote(url_path.split("?", 1)[0]).split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
        return None
    path = os.path.realpath(os.path.join(root, *parts))
    if path != root and not path.startswith(root + os.sep):
        return None
    return path if os.path.exists(path) else None


def run_summary(store, name):
    """One index row's data for run directory `name`."""
    path = os.path.join(store, name)
    row = {"name": name, "mtime": os.path.getmtime(path), "valid": "unknown",
           "workload": name.split("-20")[0], "ops": "", "msgs_per_op": "", "nodes": "",
           "report": False}
    try:
        with open(os.path.join(path, "results.json")) as f:
            r = json.load(f)
    except (OSError, ValueError):
        return row
    net = (r.get("net") or {}).get("all") or {}
    row.update(report=True, valid=r.get("valid") if r.get("valid") in (True, False) else "unknown",
               workload=r.get("workload", row["workload"]), ops=r.get("op_count", ""),
               msgs_per_op=net.get("msgs_per_op", ""),
               nodes=(r.get("opts") or {}).get("node_count", ""))
    return row


def runs(store):
    """Index rows for every run directory in the store, newest first."""
    rows = []
    for name in os.listdir(store):
        path = os.path.join(store, name)
        if name == "latest" or os.path.islink(path) or not os.path.isdir(path):
            continue
        if os.path.exists(os.path.join(path, "results.json")) or \
                os.path.isdir(os.path.join(path, "node-logs")):
            rows.append(run_summary(store, name))
    return sorted(rows, key=lambda r: r["mtime"], reverse=True)


def index_page(store):
    rows, found = [], runs(store)
    for r in found:
        q = urllib.parse.quote(r["name"])
        word = {True: "valid", False: "invalid"}.get(r["valid"], "unknown")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["mtime"]))
        mpo = f"{r['msgs_per_op']:.4g}" if isinstance(r["msgs_per_op"], (int, float)) else ""
        report = f'<a href="/{q}/report.html">report</a>' if r["report"] else ""
        rows.append(f'<tr><td><a href="/{q}/">{html.escape(r["name"])}</a></td>'
                    f'<td>{html.escape(str(r["workload"]))}</td><td>{when}</td>'
                    f'<td class="v" style="background:{VERDICT[r["valid"]]}">{word}</td>'
                    f'<td class="n">{r["nodes"]}</td><td class="n">{r["ops"]}</td>'
                    f'<td class="n">{mpo}</td><td>{report} <a href="/{q}/results.json">results</a>'
                    f' <a href="/{q}/history.jsonl">history</a> <a href="/{q}/node-logs/">logs</a>'
                    f'</td></tr>')
    body = ("<table><tr><th>run</th><th>workload</th><th>time</th><th>verdict</th><th>nodes</th>"
            "<th>ops</th><th>msgs per op</th><th>files</th></tr>" + "".join(rows) + "</table>"
            if rows else "<p>No runs in this store yet: python3 -m sim test ...</p>")
    latest = '<p><a href="/latest/report.html">latest report</a></p>' \
        if os.path.exists(os.path.join(store, "latest", "report.html")) else ""
    run_names = {r["name"] for r in found}
    folders = sorted(n for n in os.listdir(store) if n not in run_names and n != "latest"
                     and os.path.isdir(os.path.join(store, n)))
    more = "".join(f'<a href="/{urllib.parse.quote(n)}/">{html.escape(n)}/</a> ' for n in folders)
    more = f"<p>Other folders: {more}</p>" if more else ""
    return page(f"Runs in {os.path.abspath(store)}", latest + body + more)


def listing_page(store, url_path, path):
    names = os.listdir(path)
    names.sort(key=lambda n: (n not in FIRST_FILES, FIRST_FILES.index(n)
                              if n in FIRST_FILES else 0, n))
    base = "/" + "/".join(urllib.parse.quote(p) for p in url_path.strip("/").split("/") if p)
    items = []
    for n in names:
        slash = "/" if os.path.isdir(os.path.join(path, n)) else ""
        size = "" if slash else f" <small>{os.path.getsize(os.path.join(path, n)):,} bytes</small>"
        items.append(f'<li><a href="{base}/{urllib.parse.quote(n)}{slash}">'
                     f'{html.escape(n)}{slash}</a>{size}</li>')
    return page(urllib.parse.unquote(url_path),
                '<p><a href="/">all runs</a></p><ul>' + "".join(items) + "</ul>")


def page(title, body):
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"/><title>{html.escape(title)}'
            f'</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>{body}'
            f'</body></html>')


CSS = """body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;
color:#1d2330}table{border-collapse:collapse}th,td{border:1px solid #e3e6eb;padding:4px 9px;
text-align:left}th{background:#f3f4f6}td.v{font-weight:700;text-align:center}
td.n{text-align:right;font-variant-numeric:tabular-nums}a{color:#1f5fa8}h1{font-size:20px}"""


def saved_report(run_dir):
    """report.html drawn now for a run saved without one (from before reports, say): from its
    results.json and history.jsonl, so without message diagrams (the journal is not saved)."""
    if run_dir is None or not os.path.isfile(os.path.join(run_dir, "results.json")):
        return None
    try:
        with open(os.path.join(run_dir, "results.json")) as f:
            results = json.load(f)
        with open(os.path.join(run_dir, "history.jsonl")) as f:
            history = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return None
    return viz.render(results, history)


class Handler(BaseHTTPRequestHandler):
    store = "store"

    def do_GET(self):
        url_path = urllib.parse.urlsplit(self.path).path
        if url_path in ("", "/"):
            return self.send(200, "text/html; charset=utf-8", index_page(self.store).encode())
        path = resolve(self.store, url_path)
        if path is None and url_path.endswith("/" + viz.FILENAME):
            drawn = saved_report(resolve(self.store, url_path[:-len(viz.FILENAME)]))
            if drawn is not None:
                return self.send(200, "text/html; charset=utf-8", drawn.encode())
        if path is None:
            return self.send(404, "text/plain; charset=utf-8", b"not found\n")
        if os.path.isdir(path):
            if not url_path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", url_path + "/")
                self.end_headers()
                return None
            return self.send(200, "text/html; charset=utf-8",
                             listing_page(self.store, url_path, path).encode())
        ext = os.path.splitext(path)[1]
        kind = TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind == "application/json":
            kind += "; charset=utf-8"
        with open(path, "rb") as f:
            return self.send(200, kind, f.read())

    def send(self, code, kind, data):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write(f"[serve] {self.address_string()} {fmt % args}\n")


def make_server(store, port, host="127.0.0.1"):
    """An HTTP server for store on host:port (port 0: any free port)."""
    handler = type("StoreHandler", (Handler,), {"store": os.path.abspath(store)})
    return ThreadingHTTPServer((host, port), handler)


def main(argv):
    parser = argparse.ArgumentParser(prog="python3 -m sim serve")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--store", default="store")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.store):
        print(f"sim: no store at {args.store} (run python3 -m sim test first)", file=sys.stderr)
        return 2
    server = make_server(args.store, args.port)
    print(f"Serving {os.path.abspath(args.store)} on http://127.0.0.1:{server.server_port}/ "
          f"(Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
