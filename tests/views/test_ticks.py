"""Axis ticks of the static charts (qrp_jupyter/views/ticks.py) and the axes they draw.

The rules mirror the lab extension's render/scale.ts; here they are checked as properties
over many spans (every tick inside the range, aligned to its unit, about the asked count,
labels distinct and readable) and in the SVG the run view embeds.
"""

from __future__ import annotations

import calendar
import doctest
import importlib.util
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from qrp_jupyter.views import svg, ticks
from qrp_jupyter.views.ticks import nice_domain, nice_step, nice_ticks, percent_label, time_ticks


def test_doctests():
    result = doctest.testmod(ticks)
    assert result.failed == 0 and result.attempted >= 6, result


def _tick_fixture():
    path = Path(__file__).resolve().parents[2] / "labextension" / "test" / "make_tick_fixture.py"
    spec = importlib.util.spec_from_file_location("make_tick_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_renderers_tick_fixture_is_what_this_rule_gives_now():
    """scale.test.ts holds the renderer's timeTicks to fixtures/ticks.json; that file must be
    this module's output, or the renderer would be checked against a rule no longer drawn."""
    maker = _tick_fixture()
    assert maker.OUT.read_text(encoding="utf-8") == maker.text(), \
        "labextension/test/fixtures/ticks.json is stale: run labextension/test/make_tick_fixture.py"


def test_a_five_month_span_gets_monthly_ticks_not_two_quarterly_ones():
    t0, t1 = calendar.timegm((2021, 1, 15, 0, 0, 0)), calendar.timegm((2021, 6, 20, 0, 0, 0))
    got = time_ticks(t0, t1)
    assert [label for _, label in got] == ["2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]


@pytest.mark.parametrize("lo,hi", [(0, 1), (-0.013, 0.071), (0, 8931.2), (-1e-7, 3e-7),
                                   (17, 17.5), (-250, -3), (0, 17519), (1e9, 1e9 + 7)])
def test_nice_ticks_are_round_multiples_inside_the_range(lo, hi):
    t = nice_ticks(lo, hi)
    step = nice_step(hi - lo)
    assert 2 <= len(t) <= 11
    assert step.scaleb(-step.adjusted()) in (1, 2, 5)
    assert all(lo <= v <= hi for v, _ in t)
    for v, label in t:  # a label is the exact multiple, printed with the step's decimals
        assert Decimal(label) % step == 0 and abs(float(label) - v) <= abs(v) * 1e-12
    assert len({label for _, label in t}) == len(t)
    a, b = nice_domain(lo, hi)
    assert a <= lo and b >= hi and Decimal(repr(a)) % step == 0 and Decimal(repr(b)) % step == 0


def test_no_floating_point_noise_or_negative_zero():
    assert [label for _, label in nice_ticks(-0.3, 0.3, 6)] == ["-0.3", "-0.2", "-0.1", "0",
                                                             "0.1", "0.2", "0.3"]
    assert percent_label(0.07, 0.01) == "7%" and percent_label(-0.0, 0.01) == "0%"
    assert percent_label(893.1, 200.0) == "89k%"  # a 89,310 % gain stays short
    assert percent_label(0.005, 0.0025) == "0.5%"


def _utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, timezone.utc)


@pytest.mark.parametrize("span_s", [600, 5400, 86400, 3 * 86400, 20 * 86400, 90 * 86400,
                                    400 * 86400, 2 * 365 * 86400, 30 * 365 * 86400,
                                    400 * 365 * 86400])
@pytest.mark.parametrize("t0", [1609462800, 1704067200 + 1234])
def test_time_ticks_fall_on_calendar_units_inside_the_range(t0, span_s):
    t1 = t0 + span_s
    got = time_ticks(t0, t1)
    assert 3 <= len(got) <= 10, got  # min(MIN_TICKS, count) .. twice the count asked for
    assert all(t0 <= t <= t1 for t, _ in got)
    assert [t for t, _ in got] == sorted({t for t, _ in got})
    assert len({label for _, label in got}) == len(got)
    for t, label in got:
        d = _utc(t)
        assert d.second == 0
        if len(label) == 4:  # a year tick: 1 January
            assert (d.month, d.day, d.hour) == (1, 1, 0) and label == f"{d.year}"
        elif len(label) == 7:  # a month tick: the 1st
            assert (d.day, d.hour) == (1, 0) and label == f"{d.year}-{d.month:02d}"
        elif len(label) == 10:  # a day or week tick: midnight (a week: a Monday)
            assert d.hour == 0 and label == d.strftime("%Y-%m-%d")
        else:
            assert label == d.strftime("%Y-%m-%d %H:%M")
    if len(got) > 1 and len(got[0][1]) == 10 and got[1][0] - got[0][0] == 7 * 86400:
        assert all(_utc(t).weekday() == 0 for t, _ in got)


def test_a_count_below_one_is_read_as_one_as_the_renderer_does():
    t0, t1 = 1609459200, 1924992000
    assert time_ticks(t0, t1, 0) == time_ticks(t0, t1, 1) != []


def test_a_single_instant_gets_one_tick():
    assert time_ticks(1704067200, 1704067200) == [(1704067200, "2024-01-01")]


def _texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter("text")]


def test_equity_axis_has_dated_ticks_with_gridlines_and_readable_labels():
    n = 730
    t0 = calendar.timegm((2021, 1, 1, 1, 0, 0))
    stamps = [_utc(t0 + 86400 * i).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(n)]
    curve = {"trial_index": 0, "values": [0.001 * i for i in range(n)]}
    root = ET.fromstring(svg.equity_svg(list(range(n)), [curve], timestamps=stamps))
    texts = _texts(root)
    assert {"2021-07", "2022-01", "2022-07"} <= set(texts)
    assert "0%" in texts and any(t.endswith("%") and t != "0%" for t in texts)
    grid = [ln for ln in root.iter("line") if ln.get("stroke") == "#eeeeee"]
    assert len(grid) >= 3 + 3  # one per x tick and per y tick
    # x labels never overlap (6 px a character in the chart's monospace font)
    xs = sorted((float(t.get("x")), t.text, t.get("text-anchor")) for t in root.iter("text")
                if t.text[:2] == "20")
    spans = []
    for x, text, anchor in xs:
        w = 6.0 * len(text)
        left = x - w / 2 if anchor == "middle" else x if anchor == "start" else x - w
        spans.append((left, left + w))
    assert all(a[1] + 8 <= b[0] for a, b in zip(spans, spans[1:]))
    assert spans[0][0] >= 0 and spans[-1][1] <= float(root.get("width"))


def test_hourly_ticks_are_thinned_until_labels_fit():
    n = 48
    t0 = calendar.timegm((2024, 3, 1, 0, 0, 0))
    stamps = [_utc(t0 + 3600 * i).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(n)]
    root = ET.fromstring(svg.equity_svg(list(range(n)), [{"trial_index": 0,
                                                          "values": [0.0] * n}],
                                        timestamps=stamps, width=300))
    hours = [t for t in _texts(root) if t.startswith("2024-03-") and ":" in t]
    # 12-hourly ticks, 16-character labels, on a 224 px wide plot: every second one is left
    assert hours == ["2024-03-01 00:00", "2024-03-02 00:00"], hours


def test_growth_past_twenty_fold_uses_a_log_axis_of_growth_multiples():
    values = [10 ** (i / 100) - 1 for i in range(400)]  # growth 1x to ~10,000x
    root = ET.fromstring(svg.equity_svg(list(range(400)), [{"trial_index": 0,
                                                            "values": values}]))
    texts = _texts(root)
    assert {"1\u00d7", "10\u00d7", "100\u00d7", "1000\u00d7"} <= set(texts)
    assert any("log scale" in t for t in texts)
    labels = {t.text: float(t.get("y")) for t in root.iter("text") if t.text.endswith("\u00d7")}
    gaps = [labels["1\u00d7"] - labels["10\u00d7"], labels["10\u00d7"] - labels["100\u00d7"]]
    assert abs(gaps[0] - gaps[1]) < 0.02  # equal distance per decade
    # the curve: a straight line on a log axis (growth is 10 ** (i / 100))
    pts = [tuple(map(float, p.split(","))) for p in root.find("polyline").get("points").split()]
    mid = len(pts) // 2
    first, second = ((b[1] - a[1]) / (b[0] - a[0]) for a, b in ((pts[0], pts[mid]),
                                                                 (pts[mid], pts[-1])))
    assert first < 0 and abs(first - second) < 1e-3 * abs(first)


def test_the_observed_statistic_far_in_the_tail_stays_on_the_chart_and_off_the_bars():
    null = {"test": "reality_check", "pvalue": 0.001, "reps": 999, "statistic": 0.5,
            "bins": [-0.01 + 0.002 * i for i in range(11)], "counts": [5, 20, 80, 150, 200,
                                                                        150, 80, 20, 5, 1]}
    root = ET.fromstring(svg.histogram_svg(null))
    width = float(root.get("width"))
    obs = next(t for t in root.iter("text") if t.text.startswith("observed"))
    line = next(ln for ln in root.iter("line") if ln.get("stroke") == "#d62728")
    assert 40 <= float(line.get("x1")) <= width - 12
    w = 6.0 * len(obs.text)
    left = float(obs.get("x")) - (w if obs.get("text-anchor") == "end" else 0)
    assert left >= 0 and left + w <= width
    bar_tops = [float(r.get("y")) for r in root.iter("rect")][1:]  # [0] is the background
    assert float(obs.get("y")) <= min(bar_tops)  # the label sits above the tallest bar
    caption = next(t for t in root.iter("text") if t.text.startswith("reality_check"))
    assert float(caption.get("y")) + 4 <= float(obs.get("y")) - 10  # and below the caption
    counts = [t for t in _texts(root) if t.isdigit()]
    assert counts[0] == "0" and int(counts[-1]) >= 200


def test_same_payload_same_bytes():
    stamps = [f"2024-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z" for i in range(48)]
    curves = [{"trial_index": k, "values": [k * 0.37 * i for i in range(48)]} for k in range(3)]
    a = svg.equity_svg(list(range(48)), curves, timestamps=stamps)
    assert a == svg.equity_svg(list(range(48)), curves, timestamps=stamps)
