"""The static heatmap of a two-parameter grid (a run payload's ``grid``) as SVG text.

The same rules as :mod:`.svg`: no script, no reference, no id, every string escaped, every
number printed with a fixed precision (basic float arithmetic only), so one payload gives the
same bytes on every machine.
"""

from __future__ import annotations

import json
from typing import Any

from .svg import _FONT, _n, _open, esc

__all__ = ["heatmap_svg"]

#: Low and high ends of the sequential colour scale (light to dark blue; the light end is
#: still blue, so an empty cell, near-white with a dot, stands apart from the lowest value).
_LOW, _HIGH = (0xC6, 0xDB, 0xEF), (0x08, 0x30, 0x6B)
_EMPTY = "#f4f4f4"
#: Cells at least this wide carry their value as text.
_LABEL_MIN_W = 34.0
#: Width of one character of the 10 px monospace text, for the caption's room.
_CHAR_W = 6.2


def _colour(t: float) -> str:
    """The scale's colour at ``t`` in [0, 1]."""
    return "#" + "".join(f"{int(a + (b - a) * t + 0.5):02x}" for a, b in zip(_LOW, _HIGH))


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def heatmap_svg(grid: dict[str, Any]) -> str:
    """Every trial's annualized Sharpe, one cell per pair of the two varied parameters
    (``x`` along the columns, ``y`` up the rows, lowest at the bottom); a pair no trial has,
    or an undefined Sharpe, is a grey cell with a dot."""
    xs, ys = grid["x"]["values"], grid["y"]["values"]
    cells = grid["sharpe_annual"]
    cw = max(8.0, min(60.0, 560.0 / max(1, len(xs))))
    ch = max(8.0, min(22.0, 440.0 / max(1, len(ys))))
    left, top, bottom_margin = 78.0, 26.0, 40.0
    values = [v for row in cells for v in row if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    x_name, y_name = grid["x"]["name"], grid["y"]["name"]
    title = f"annualized Sharpe by {x_name} and {y_name}"
    n_cells = len(xs) * len(ys)
    scale = (f"{_n(lo)} (light) to {_n(hi)} (dark); {len(values)} of {n_cells} cells defined"
             if values else f"no defined value in {n_cells} cells")
    width = max(left + cw * len(xs) + 16.0, 16.0 + _CHAR_W * max(len(title), len(scale)))
    top += 12.0  # the second caption line
    height = top + ch * len(ys) + bottom_margin
    out = _open(width, height, title)
    for line, text in ((14.0, title), (26.0, scale)):
        out.append(f'<text x="{_n(8)}" y="{_n(line)}" {_FONT}>{esc(text)}</text>')
    labelled = cw >= _LABEL_MIN_W and ch >= 14.0
    for i, y_value in enumerate(ys):
        y = top + (len(ys) - 1 - i) * ch
        if ch >= 10.0 or i in (0, len(ys) - 1):
            out.append(f'<text x="{_n(left - 4)}" y="{_n(y + ch / 2 + 3)}" text-anchor="end" '
                       f'{_FONT}>{esc(_value_text(y_value))}</text>')
        for j in range(len(xs)):
            v = cells[i][j]
            x = left + j * cw
            t = 0.5 if v is None or hi == lo else (v - lo) / (hi - lo)
            fill = _EMPTY if v is None else _colour(t)
            out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cw - 1)}" '
                       f'height="{_n(ch - 1)}" fill="{fill}"/>')
            if labelled or v is None and cw >= 10.0:
                text = "\u00b7" if v is None else f"{v:.2f}"
                colour = "#ffffff" if v is not None and t > 0.55 else "#222222"
                out.append(f'<text x="{_n(x + cw / 2)}" y="{_n(y + ch / 2 + 3)}" '
                           f'text-anchor="middle" fill="{colour}" {_FONT}>{esc(text)}</text>')
    step = max(1, int(40.0 // cw) + (1 if 40.0 % cw else 0))  # x labels at least 40 px apart
    for j, x_value in enumerate(xs):
        if j % step == 0:
            out.append(f'<text x="{_n(left + j * cw + cw / 2)}" '
                       f'y="{_n(top + ch * len(ys) + 14)}" text-anchor="middle" {_FONT}>'
                       f"{esc(_value_text(x_value))}</text>")
    mid_y = top + ch * len(ys) / 2
    out.append(f'<text x="{_n(left + cw * len(xs) / 2)}" y="{_n(height - 8)}" '
               f'text-anchor="middle" {_FONT}>{esc(x_name)}</text>')
    out.append(f'<text x="{_n(12)}" y="{_n(mid_y)}" text-anchor="middle" '
               f'transform="rotate(-90 {_n(12)} {_n(mid_y)})" {_FONT}>{esc(y_name)}</text>')
    out.append("</svg>")
    return "".join(out)
