"""Write ``fixtures/ticks.json``: the date ticks ``qrp_jupyter/views/ticks.py`` puts on a
static chart, for spans from ten minutes to two centuries. ``scale.test.ts`` asserts that
the renderer's ``timeTicks`` gives the same ticks and labels for each, so a chart and its
sanitizer-proof twin cannot drift apart; ``tests/views/test_ticks.py`` asserts that this file
is what the Python rule gives now.

Usage: ``.venv/bin/python labextension/test/make_tick_fixture.py``
"""

from __future__ import annotations

import calendar
import json
from pathlib import Path

from qrp_jupyter.views.ticks import time_ticks

OUT = Path(__file__).resolve().parent / "fixtures" / "ticks.json"
#: Starts: mid-month midnight, an odd minute in a leap February, a second before 2000.
STARTS = (calendar.timegm((2021, 1, 15, 0, 0, 0)), calendar.timegm((2024, 2, 27, 5, 31, 0)),
          calendar.timegm((1999, 12, 31, 23, 59, 59)))
#: Tick counts the renderer asks for (a narrow and a wide chart) and the static chart's 5.
COUNTS = (2, 5, 9)


def cases() -> list[dict]:
    """Every start, every count, spans growing by 37 % from 600 s to past 200 years."""
    out = []
    for t0 in STARTS:
        for count in COUNTS:
            span = 600
            while span < 200 * 31556952:
                out.append({"t0": t0, "t1": t0 + span, "count": count,
                            "ticks": [list(t) for t in time_ticks(t0, t0 + span, count)]})
                span = span * 137 // 100
    return out


def text() -> str:
    return json.dumps(cases(), separators=(",", ":")) + "\n"


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
