"""Static SVG charts: equity curves, a null histogram, a lineage DAG (shown as data-URI images).

Each function returns one ``<svg>`` element as text that is also well-formed XML: no script,
no external reference, no id attributes (many outputs share one page), every string escaped,
every number printed with a fixed precision so the same payload gives the same bytes.
"""

from __future__ import annotations

import base64
import calendar
import math
import re
from datetime import datetime
from decimal import Decimal, localcontext
from html import escape
from typing import Any

from .ticks import nice_domain, nice_ticks, percent_label, time_ticks

__all__ = ["esc", "equity_svg", "histogram_svg", "pbo_svg", "lineage_svg", "as_image",
           "PALETTE"]

#: Curve colours, cycled in trial order (colour-blind-safe Tableau 10).
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
_KIND_FILL = {"dataset": "#d6e4f0", "code": "#d6e4f0", "run": "#e3ecd6",
              "run_instance": "#e3ecd6", "artifact": "#f4f4f4", "seed": "#f4f4f4",
              "candidate": "#fbe5c8", "report": "#fbe5c8", "event": "#ead7ea"}
_FONT = 'font-family="monospace" font-size="10"'


def esc(value: Any) -> str:
    """HTML/XML-escaped text of ``value`` (quotes included)."""
    return escape(str(value), quote=True)


#: SVG's XML namespace: a name, never fetched.
SVG_NS = "http://www.w3.org/2000/svg"
_OPEN = re.compile(r'<svg width="([0-9.]+)" height="([0-9.]+)"[^>]*>\s*<title>([^<]*)</title>')


def as_image(svg: str) -> str:
    """One of these SVGs as an ``<img>`` whose source is a base64 ``data:image/svg+xml`` URI.

    HTML sanitizers (JupyterLab's for an untrusted notebook, most notebook viewers) remove an
    inline ``<svg>`` and leave its text as a run-on line of labels; an image with a data URI
    is kept, and an image cannot run script. Its ``alt`` is the chart's title. Deterministic:
    the same SVG text gives the same bytes."""
    m = _OPEN.match(svg)
    if m is None:
        raise ValueError("not an SVG made by qrp_jupyter.views.svg")
    width, height, title = m.groups()
    # A standalone SVG document (unlike one inline in HTML) is drawn only in SVG's namespace.
    doc = svg.replace("<svg ", f'<svg xmlns="{SVG_NS}" ', 1)
    data = base64.b64encode(doc.encode("utf-8")).decode("ascii")
    return (f'<img src="data:image/svg+xml;base64,{data}" width="{width}" height="{height}" '
            f'alt="{title}" style="max-width:100%;height:auto"/>')


def _n(v: float) -> str:
    """A coordinate with two decimals and no negative zero."""
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text


def _g(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _open(width: float, height: float, title: str) -> list[str]:
    return [f'<svg width="{_n(width)}" height="{_n(height)}" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" role="img">',
            f"<title>{esc(title)}</title>",
            f'<rect x="0" y="0" width="{_n(width)}" height="{_n(height)}" fill="#ffffff" '
            f'stroke="#cccccc"/>']


def _axes(out: list[str], box: tuple[float, float, float, float],
          xticks: list[tuple[float, str]], yticks: list[tuple[float, str]],
          caption: str) -> None:
    """Axis lines, light gridlines and labels at ``xticks``/``yticks`` ((pixel, label) pairs,
    already placed), and the caption above the plot. An x label is centred on its tick unless
    that would run past the plot's edge; ticks are thinned to every second one (repeatedly)
    until their labels (6 px a character) keep 8 px apart."""
    left, top, right, bottom = box
    xticks = _thin(xticks)
    for x, _ in xticks:
        out.append(f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" '
                   f'stroke="#eeeeee"/>')
    for y, _ in yticks:
        out.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(right)}" y2="{_n(y)}" '
                   f'stroke="#eeeeee"/>')
    out.append(f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" '
               f'stroke="#888888"/>')
    out.append(f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(bottom)}" '
               f'stroke="#888888"/>')
    for x, text in xticks:
        half = 3.0 * len(text)
        anchor = ("start" if x - half < 4 else "end" if x + half > right + 10
                  else "middle")
        out.append(f'<line x1="{_n(x)}" y1="{_n(bottom)}" x2="{_n(x)}" y2="{_n(bottom + 3)}" '
                   f'stroke="#888888"/>'
                   f'<text x="{_n(x)}" y="{_n(bottom + 14)}" text-anchor="{anchor}" {_FONT}>'
                   f"{esc(text)}</text>")
    for y, text in yticks:
        out.append(f'<text x="{_n(left - 4)}" y="{_n(y + 3)}" text-anchor="end" {_FONT}>'
                   f"{esc(text)}</text>")
    out.append(f'<text x="{_n((left + right) / 2)}" y="13.00" text-anchor="middle" '
               f'{_FONT}>{esc(caption)}</text>')


def _thin(ticks: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Every second tick, repeatedly, until neighbouring labels keep 8 px apart."""
    def crowded(ts: list[tuple[float, str]]) -> bool:
        return any(b[0] - a[0] < 3.0 * (len(a[1]) + len(b[1])) + 8
                   for a, b in zip(ts, ts[1:]))
    while len(ticks) > 2 and crowded(ticks):
        ticks = ticks[::2]
    return ticks


def _value_ticks(lo: float, hi: float, to_px, *, integer: bool = False,
                 label=None) -> list[tuple[float, str]]:
    """Pixel and label of the nice ticks in ``[lo, hi]``; whole numbers only when
    ``integer``; ``label(value, step)`` formats a tick (default: the tick's own text)."""
    ticks = nice_ticks(lo, hi)
    if integer:
        ticks = [(v, t) for v, t in ticks if v == int(v)]
    step = ticks[1][0] - ticks[0][0] if len(ticks) > 1 else 1.0
    return [(to_px(v), label(v, step) if label else t) for v, t in ticks]


def _epoch_s(stamp: str) -> int:
    """Whole seconds since the epoch of an ISO-8601 UTC time ``YYYY-MM-DDTHH:MM:SS...Z``
    (integer arithmetic only, so every machine draws the same bytes)."""
    return calendar.timegm(datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").timetuple())


def _log_growth(v: float | None) -> float | None:
    """log10 of growth ``1 + v`` to 12 significant digits, None for a wiped-out account or a
    missing value. ``Decimal.log10`` is correctly rounded, so unlike ``math.log10`` (the C
    library's) or numpy's (SIMD paths) it gives the same digits on every machine."""
    if v is None or v != v or abs(v) == float("inf") or 1.0 + v <= 0.0:
        return None
    with localcontext() as ctx:
        ctx.prec = 12
        return float((Decimal(repr(1.0 + v))).log10())


def _spans_20_fold(logs: list[float]) -> bool:
    """Whether log growths (``_log_growth``) vary more than 20-fold, so that a linear axis
    would flatten all but the best curve (the lab renderer's rule, ``wantsLogScale``)."""
    return bool(logs) and max(logs) - min(logs) > 1.3


def _log_ticks(lo: float, hi: float, to_px) -> list[tuple[float, str]]:
    """Growth multiples on a log axis (1x = no gain): 1, 2 and 5 times powers of ten when
    few decades show, powers of ten otherwise (``logGrowthTicks``)."""
    out = []
    mults = (1,) if hi - lo > 3 else (1, 2, 5)
    for p in range(int(math.floor(lo)) - 1, int(math.ceil(hi)) + 1):
        for m in mults:
            g = Decimal(m).scaleb(p)
            v = p + (0.0 if m == 1 else _log_growth(m - 1.0))
            if lo - 1e-9 <= v <= hi + 1e-9:
                out.append((to_px(v), f"{g.normalize():f}\u00d7"))
    return out


def equity_svg(index: list[int], curves: list[dict[str, Any]], *,
               timestamps: list[str] | None = None,
               markers: list[dict[str, Any]] | None = None, width: float = 560,
               height: float = 240) -> str:
    """Equity curves (cumulative return per sampled row), one polyline per trial.

    With ``timestamps`` (one per sampled row) x is time and the axis shows dates, else x is
    the row number. ``markers`` (``{"label", "row", "timestamp"?}``, e.g. walk-forward fold
    boundaries) are drawn as dashed vertical lines, their labels moved down a lane rather
    than drawn over each other.
    """
    box = (64.0, 20.0, width - 12.0, height - 24.0)
    values = [v for c in curves for v in c["values"] if v is not None]
    # log10 of growth 1 + v, exact to 12 digits (Decimal): same bytes everywhere; once a value
    growths = [[_log_growth(v) for v in c["values"]] for c in curves]
    ys = [g for curve in growths for g in curve if g is not None]
    log = _spans_20_fold(ys)
    if log:
        lo, hi = min(min(ys), 0.0), max(max(ys), 0.0)
    else:
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        nice = nice_domain(min(lo, 0.0), max(hi, 0.0))
        # a cumulative return is never below -100 %: the axis stops there
        lo, hi = (max(nice[0], -1.0) if lo >= -1.0 else nice[0]), nice[1]
    hi = hi if hi > lo else lo + 1.0
    stamps = timestamps if timestamps is not None and len(timestamps) == len(index) else []
    time = bool(stamps)
    xs = [_epoch_s(t) for t in stamps] if time else list(index)
    x0, x1 = (xs[0], xs[-1]) if xs else (0, 1)
    span = (x1 - x0) or 1

    def px(x: float) -> float:
        return box[0] + (x - x0) / span * (box[2] - box[0])

    def py(v: float) -> float:
        return box[3] - (v - lo) / (hi - lo) * (box[3] - box[1])


    out = _open(width, height, "equity curves of the best trials")
    if time:
        xticks = [(px(t), text) for t, text in time_ticks(x0, x1)]
    else:
        xticks = _value_ticks(x0, x1, px, integer=True, label=lambda v, _: f"row {int(v)}")
    yticks = (_log_ticks(lo, hi, py) if log else
              _value_ticks(lo, hi, py, label=percent_label))
    _axes(out, box, xticks, yticks,
          "cumulative return (best trial first)" + (", growth of 1, log scale" if log else ""))
    out.append(f'<line x1="{_n(box[0])}" y1="{_n(py(0.0))}" x2="{_n(box[2])}" '
               f'y2="{_n(py(0.0))}" stroke="#bbbbbb" stroke-dasharray="4 3"/>')
    lanes: list[float] = []  # right edge of the last label in each lane
    for mk in markers or []:
        if time and "timestamp" in mk:
            x = px(_epoch_s(mk["timestamp"]))
        elif not time:
            x = px(mk["row"])
        else:
            continue
        label_w = 6.0 * len(str(mk["label"]))  # monospace 10 px: 6 px a character
        anchor, tx = ("start", x + 2) if x + 2 + label_w <= box[2] else ("end", x - 2)
        left = tx if anchor == "start" else tx - label_w
        lane = next((k for k, right in enumerate(lanes) if left >= right + 4), len(lanes))
        if lane == len(lanes):
            lanes.append(0.0)
        lanes[lane] = left + label_w
        out.append(f'<line x1="{_n(x)}" y1="{_n(box[1])}" x2="{_n(x)}" y2="{_n(box[3])}" '
                   f'stroke="#888888" stroke-dasharray="3 3"><title>{esc(mk["label"])}'
                   f'</title></line>')
        out.append(f'<text x="{_n(tx)}" y="{_n(box[1] + 10 + 11 * lane)}" '
                   f'text-anchor="{anchor}" fill="#666666" {_FONT}>{esc(mk["label"])}</text>')
    for k, curve in reversed(list(enumerate(curves))):  # best trial drawn last, on top
        plotted = growths[k] if log else curve["values"]
        pts = " ".join(f"{_n(px(x))},{_n(py(y))}" for x, y in zip(xs, plotted)
                       if y is not None)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{PALETTE[k % len(PALETTE)]}" '
                   f'stroke-width="{"2" if k == 0 else "1"}"><title>trial '
                   f'{esc(curve["trial_index"])}</title></polyline>')
    out.append("</svg>")
    return "".join(out)


def _bars(title: str, caption: str, bins: list[float], counts: list[int], fill: str,
          marks: list[float], width: float, height: float):
    """The frame shared by both histograms: ``bins``/``counts`` as bars on a count axis, an x
    domain wide enough for every value in ``marks`` (a statistic far in the tail stays on the
    chart). Returns the SVG lines so far, the plot box and the x pixel function."""
    box = (40.0, 30.0, width - 12.0, height - 24.0)
    lo = min([bins[0], *marks])
    hi = max([bins[-1], *marks])
    top = nice_domain(0.0, float(max(counts, default=0) or 1))[1]

    def px(v: float) -> float:
        return box[0] + (v - lo) / ((hi - lo) or 1.0) * (box[2] - box[0])

    def py(c: float) -> float:
        return box[3] - c / top * (box[3] - box[1])

    out = _open(width, height, title)
    _axes(out, box, _value_ticks(lo, hi, px), _value_ticks(0.0, top, py, integer=True),
          caption)
    for a, b, c in zip(bins[:-1], bins[1:], counts):
        out.append(f'<rect x="{_n(px(a))}" y="{_n(py(c))}" '
                   f'width="{_n(max(px(b) - px(a) - 0.5, 0.5))}" height="{_n(box[3] - py(c))}" '
                   f'fill="{fill}"><title>{esc(_g(a))} to {esc(_g(b))}: {esc(c)}</title>'
                   f'</rect>')
    return out, box, px


def _mark(out: list[str], box: tuple[float, float, float, float], x: float, text: str,
          color: str, attrs: str) -> None:
    """A vertical line at ``x`` over the plot with ``text`` just above the plot (never over a
    bar), on whichever side of the line keeps the label inside the chart."""
    w = 6.0 * len(text)
    anchor, tx = ("end", x - 2) if x - 2 - w >= 2 else ("start", x + 2)
    out.append(f'<line x1="{_n(x)}" y1="{_n(box[1])}" x2="{_n(x)}" y2="{_n(box[3])}" '
               f'stroke="{color}" {attrs}><title>{esc(text)}</title></line>')
    out.append(f'<text x="{_n(tx)}" y="{_n(box[1] - 3)}" text-anchor="{anchor}" '
               f'fill="{color}" {_FONT}>{esc(text)}</text>')


def histogram_svg(null: dict[str, Any], *, width: float = 360, height: float = 200) -> str:
    """The bootstrap null distribution as bars, the observed statistic as a red line."""
    stat = null["statistic"]
    out, box, px = _bars(f"{null['test']} null distribution",
                         f"{null['test']}: p = {_g(null['pvalue'])} ({null['reps']} reps)",
                         null["bins"], null["counts"], "#9db4cf",
                         [] if stat is None else [stat], width, height)
    if stat is not None:
        _mark(out, box, px(stat), f"observed {_g(stat)}", "#d62728", 'stroke-width="2"')
    out.append("</svg>")
    return "".join(out)


def pbo_svg(pbo: dict[str, Any], *, width: float = 360, height: float = 200) -> str:
    """The PBO logit histogram (``pbo.bins``/``pbo.counts``) as bars, logit 0 dashed: PBO is
    the share of splits at or left of it."""
    out, box, px = _bars("PBO logit histogram",
                         f"PBO = {_g(pbo['pbo'])} over {pbo['n_splits']} splits "
                         "(logit of OOS rank)", pbo["bins"], pbo["counts"], "#c9b3d6", [0.0],
                         width, height)
    _mark(out, box, px(0.0), "logit 0", "#555555", 'stroke-dasharray="4 3"')
    out.append("</svg>")
    return "".join(out)


def lineage_svg(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], *,
                col: float = 170.0, row: float = 34.0) -> str:
    """The lineage DAG at the payload's own layout: layers left to right, edges as curves.

    Each node carries a ``<title>`` with its full hashes (a hover tooltip without script).
    """
    if not nodes:
        return "".join(_open(200, 40, "empty lineage")) + "</svg>"
    w_node, h_node = col - 30.0, row - 8.0
    ys = [n["y"] for n in nodes]
    y_min = min(ys)
    width = (max(n["x"] for n in nodes) + 1) * col + 10.0
    height = (max(ys) - y_min + 1) * row + 10.0
    at = {n["id"]: (10.0 + n["x"] * col, 10.0 + (n["y"] - y_min) * row) for n in nodes}
    out = _open(width, height, "lineage")
    for e in edges:
        if e["source"] not in at or e["target"] not in at:
            continue
        (sx, sy), (tx, ty) = at[e["source"]], at[e["target"]]
        sx, sy, ty = sx + w_node, sy + h_node / 2, ty + h_node / 2
        mid = (sx + tx) / 2
        out.append(f'<path d="M{_n(sx)},{_n(sy)} C{_n(mid)},{_n(sy)} {_n(mid)},{_n(ty)} '
                   f'{_n(tx)},{_n(ty)}" fill="none" stroke="#999999"><title>'
                   f'{esc(e["relation"])}</title></path>')
        out.append(f'<circle cx="{_n(tx)}" cy="{_n(ty)}" r="2" fill="#999999"/>')
    for n in nodes:
        x, y = at[n["id"]]
        first = next(iter(n["hashes"].values()), "")
        tip = "\n".join([f"{n['kind']}: {n['label']}"]
                        + [f"{k} {v}" for k, v in n["hashes"].items()])
        out.append(f'<g><title>{esc(tip)}</title>'
                   f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w_node)}" height="{_n(h_node)}" '
                   f'rx="4" fill="{_KIND_FILL.get(n["kind"], "#f4f4f4")}" stroke="#666666"/>'
                   f'<text x="{_n(x + 4)}" y="{_n(y + 11)}" {_FONT}>'
                   f'{esc(_clip(n["label"], 22))}</text>'
                   f'<text x="{_n(x + 4)}" y="{_n(y + 22)}" {_FONT} fill="#555555">'
                   f'{esc(n["kind"])} {esc(first[:12])}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "~"
