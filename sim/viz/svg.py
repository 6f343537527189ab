"""SVG building blocks for the run report: escaping, scales, ticks, axes, markers, colours.

Everything is a string: a chart is a list of SVG fragments joined at the end. Coordinates are
rounded to 0.1 px so thousands of points stay small. Point markers are <marker> elements drawn
at every vertex of a path of bare moveto commands ("M x y M x y ..."): a point costs about a
dozen bytes. The markers are defined once per page (`marker_defs`) and shared by every chart.
"""

import html
import math

# Jepsen's colours: op outcomes in the perf plots, verdicts, nemesis bands.
OUTCOME = {"ok": "#81BFFC", "info": "#FFA400", "fail": "#FF1E90"}
VERDICT = {True: "#6DB6FE", False: "#FEB5DA", "unknown": "#FFAA26"}
PARTITION = "#E9DCA0"
# Maelstrom's message diagram: client traffic, server traffic, error replies.
MSG_CLIENT, MSG_SERVER, MSG_ERROR = "#81BFFC", "#222222", "#FF1E90"
DROPPED = "#D96918"
SHAPES = ("circle", "square", "triangle", "diamond", "down", "plus", "cross")
SHAPE_PATHS = {
    "circle": "M-3.2 0a3.2 3.2 0 1 0 6.4 0a3.2 3.2 0 1 0-6.4 0Z",
    "square": "M-2.8-2.8h5.6v5.6h-5.6Z",
    "triangle": "M0-3.6L3.4 2.6H-3.4Z",
    "diamond": "M0-3.8L3.4 0L0 3.8L-3.4 0Z",
    "down": "M0 3.6L3.4-2.6H-3.4Z",
    "plus": "M-1-3.6h2v2.6h2.6v2h-2.6v2.6h-2v-2.6h-2.6v-2h2.6Z",
    "cross": "M-3.2-1.8l1.4-1.4l1.8 1.8l1.8-1.8l1.4 1.4l-1.8 1.8l1.8 1.8l-1.4 1.4l-1.8-1.8"
             "l-1.8 1.8l-1.4-1.4l1.8-1.8Z",
}
QUANTILES = {"0": "min", "0.5": "median", "0.95": "p95", "0.99": "p99", "1": "max"}


def esc(value):
    return html.escape(str(value), quote=True)


def num(x):
    """A coordinate: one decimal, no trailing '.0'."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def marker_id(shape, colour):
    return f"m-{shape}-{colour.lstrip('#')}"


def marker_defs(colours):
    """A zero-size SVG defining every (shape, colour) point marker and the arrow heads."""
    out = ['<svg class="defs" width="0" height="0" aria-hidden="true"><defs>']
    for colour in colours:
        for shape in SHAPES:
            out.append(f'<marker id="{marker_id(shape, colour)}" viewBox="-5 -5 10 10" '
                       f'markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" '
                       f'overflow="visible"><path d="{SHAPE_PATHS[shape]}" fill="{colour}" '
                       f'fill-opacity="0.85" stroke="#fff" stroke-width="0.5"/></marker>')
        out.append(f'<marker id="head-{colour.lstrip("#")}" viewBox="0 -4 10 8" refX="9" '
                   f'markerWidth="10" markerHeight="8" markerUnits="userSpaceOnUse" '
                   f'orient="auto"><path d="M0-4L10 0L0 4Z" fill="{colour}"/></marker>')
    out.append("</defs></svg>")
    return "".join(out)


def points_path(points, shape, colour, extra=""):
    """One path drawing a marker at each (x, y); data-n holds the number of points."""
    d = "".join(f"M{num(x)} {num(y)}" for x, y in points)
    ref = f"url(#{marker_id(shape, colour)})"
    return (f'<path class="pts" data-n="{len(points)}" d="{d}" fill="none" stroke="none" '
            f'marker-start="{ref}" marker-mid="{ref}" marker-end="{ref}"{extra}/>')


# --- scales and ticks ---------------------------------------------------------------------

class Linear:
    def __init__(self, lo, hi, a, b):
        self.lo, self.hi, self.a, self.b = lo, hi if hi > lo else lo + 1, a, b

    def __call__(self, v):
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)

    def ticks(self, count=8):
        return nice_ticks(self.lo, self.hi, count)


class Log:
    """A log scale over [lo, hi] widened to 1-2-5 values, at least a factor 10 wide."""

    def __init__(self, lo, hi, a, b):
        lo = max(lo, 1e-3)
        hi = max(hi, lo * 10)
        self.lo, self.hi = round_125(lo, down=True), round_125(hi, down=False)
        self.a, self.b = a, b

    def __call__(self, v):
        v = min(max(v, self.lo), self.hi)
        span = math.log10(self.hi) - math.log10(self.lo)
        return self.a + (math.log10(v) - math.log10(self.lo)) / span * (self.b - self.a)

    def ticks(self, count=8):
        decades = math.log10(self.hi / self.lo)
        steps = (1, 2, 5) if decades <= 3 else (1,)
        out, d = [], 10 ** math.floor(math.log10(self.lo) + 1e-9)
        while d <= self.hi * 1.0001:
            out += [d * s for s in steps if self.lo * 0.9999 <= d * s <= self.hi * 1.0001]
            d *= 10
        ends = [e for e in (self.lo, self.hi)
                if all(abs(math.log10(e / t)) >= 0.25 for t in out)]
        return sorted({*ends, *out})


def round_125(v, down):
    """The nearest 1-2-5 value at or below (down) or at or above v."""
    mag = 10 ** math.floor(math.log10(v))
    steps = (1, 2, 5, 10)
    if down:
        return max(m * mag for m in steps if m * mag <= v * 1.0001)
    return min(m * mag for m in steps if m * mag >= v * 0.9999)


def nice_step(span, count):
    """The 1-2-5 step that cuts span into about count pieces."""
    if span <= 0:
        return 1.0
    raw = span / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def nice_ticks(lo, hi, count=8):
    step = nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9) * step
    n = int(math.floor((hi - first) / step + 1e-9)) + 1
    return [round(first + i * step, 10) for i in range(max(0, n))]


def fmt_tick(v):
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:g}"
    return f"{v:.3g}"


# --- chart frame --------------------------------------------------------------------------

class Frame:
    """A plot area inside a fixed-size SVG: margins, axes, grid, title and a legend column."""

    WIDTH = 1120
    LEFT, RIGHT, TOP, BOTTOM = 64, 200, 40, 40

    def __init__(self, height, title, chart_id):
        self.height = height
        self.title = title
        self.id = chart_id
        self.x0, self.x1 = self.LEFT, self.WIDTH - self.RIGHT
        self.y0, self.y1 = self.TOP, height - self.BOTTOM
        self.body = []
        self.legend = []

    def axes(self, xs, ys, xlabel, ylabel):
        """Grid lines and labels for the x scale xs and y scale ys."""
        out = [f'<g class="grid">']
        for t in xs.ticks(12):
            x = num(xs(t))
            out.append(f'<line x1="{x}" y1="{self.y0}" x2="{x}" y2="{self.y1}"/>'
                       f'<text class="tx" x="{x}" y="{self.y1 + 15}">{fmt_tick(t)}</text>')
        for t in ys.ticks(6):
            y = num(ys(t))
            out.append(f'<line x1="{self.x0}" y1="{y}" x2="{self.x1}" y2="{y}"/>'
                       f'<text class="ty" x="{self.x0 - 6}" y="{y}">{fmt_tick(t)}</text>')
        out.append("</g>")
        out.append(f'<rect class="plotbox" x="{self.x0}" y="{self.y0}" '
                   f'width="{self.x1 - self.x0}" height="{self.y1 - self.y0}"/>')
        out.append(f'<text class="xl" x="{(self.x0 + self.x1) / 2}" y="{self.height - 6}">'
                   f'{esc(xlabel)}</text>')
        out.append(f'<text class="yl" transform="translate(14 {(self.y0 + self.y1) / 2}) '
                   f'rotate(-90)">{esc(ylabel)}</text>')
        return "".join(out)

    def add_legend(self, swatch, label, title=None):
        """swatch: an SVG fragment drawn around (0, 0)."""
        self.legend.append((swatch, label, title))

    def render(self):
        lx = self.x1 + 16
        items = []
        for i, (swatch, label, title) in enumerate(self.legend):
            y = self.y0 + 8 + i * 18
            tip = f"<title>{esc(title)}</title>" if title else ""
            items.append(f'<g class="lg" transform="translate({lx} {y})">{tip}{swatch}'
                         f'<text x="16" y="4">{esc(label)}</text></g>')
        return (f'<svg id="{self.id}" class="chart" viewBox="0 0 {self.WIDTH} {self.height}" '
                f'width="{self.WIDTH}" height="{self.height}" xmlns="http://www.w3.org/2000/svg">'
                f'<text class="title" x="{self.x0}" y="18">{esc(self.title)}</text>'
                + "".join(self.body) + "".join(items) + "</svg>")


def legend_marker(shape, colour):
    return f'<path d="{SHAPE_PATHS[shape]}" fill="{colour}" transform="translate(6 0) scale(1.3)"/>'


def legend_line(colour, dash=""):
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="-2" y1="0" x2="14" y2="0" stroke="{colour}" stroke-width="2.5"'
            f'{dash_attr}/>')


def legend_box(colour, opacity=1.0):
    return (f'<rect x="-1" y="-6" width="14" height="12" fill="{colour}" '
            f'fill-opacity="{opacity}"/>')
