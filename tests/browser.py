"""Headless Chromium for the report: load a page, collect console errors, take a screenshot.

Debian's `chromium`, started with everything that would reach the network switched off (this
machine has none) and a fresh profile each time. Console messages come from
`--enable-logging=stderr`: a JavaScript error or an SVG attribute Chromium cannot parse shows
there as a CONSOLE line.

    python3 tests/browser.py PAGE.html SHOT.png [WIDTH HEIGHT]
writes the screenshot and prints the console errors (exit 1 when there are any).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0")
CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] (.*)")
ERROR_WORDS = ("error", "uncaught", "failed", "not allowed", "refused")


def chromium():
    """The Chromium binary, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run(page, *flags, timeout=120):
    """Run Chromium on page (a path) with extra flags; returns (stdout, console lines)."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *flags, Path(page).resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout)
    console = [m.group(1) for m in map(CONSOLE.search, proc.stderr.splitlines()) if m]
    return proc.stdout, console


def console_errors(console):
    return [line for line in console if any(w in line.lower() for w in ERROR_WORDS)]


def dump_dom(page):
    """(the DOM after load, console error lines)."""
    dom, console = run(page, "--dump-dom")
    return dom, console_errors(console)


def screenshot(page, png, width=1200, height=2400):
    """Write a screenshot of page to png; returns the console error lines."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    if png.exists():
        png.unlink()
    _, console = run(page, f"--screenshot={png}", f"--window-size={width},{height}")
    if not png.exists():
        raise RuntimeError(f"chromium wrote no screenshot to {png}")
    return console_errors(console)


def main(argv):
    if len(argv) not in (2, 4):
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    size = [int(x) for x in argv[2:]] or [1200, 2400]
    errors = screenshot(argv[0], argv[1], *size)
    for line in errors:
        print(f"console: {line}")
    print(f"{argv[1]}: {os.path.getsize(argv[1])} bytes")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
