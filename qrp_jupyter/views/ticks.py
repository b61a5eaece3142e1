"""Axis ticks for the static charts: nice numbers and calendar-aligned UTC times.

The same rules as the lab extension's ``render/scale.ts`` (``niceTicks``, ``timeTicks``), so
a chart drawn by QRP's renderer and its sanitizer-proof static twin put their ticks at the
same values. Everything that decides a tick is exact: numbers go through ``Decimal`` (a step
is 1, 2 or 5 times a power of ten, found from the number's decimal exponent, not from a
``log10`` whose last bit may differ between C libraries) and times are integer seconds, so
one payload gives the same SVG bytes on every machine.

>>> [label for _, label in nice_ticks(-0.013, 0.071)]
['0', '0.02', '0.04', '0.06']
>>> nice_domain(-0.013, 0.071)
(-0.02, 0.08)
>>> [label for _, label in time_ticks(1609462800, 1672527600)]  # 2021-01-01 .. 2022-12-31
['2021-07', '2022-01', '2022-07']
>>> [label for _, label in time_ticks(1609459200, 1924992000)]  # 2021-01-01 .. 2031-01-01
['2022', '2024', '2026', '2028', '2030']
>>> [label for _, label in time_ticks(1704067200, 1704236400)]  # 2024-01-01 .. 01-02 23:00
['2024-01-01 00:00', '2024-01-01 12:00', '2024-01-02 00:00', '2024-01-02 12:00']
"""

from __future__ import annotations

import calendar
from datetime import datetime, timezone
from decimal import Decimal

__all__ = ["nice_step", "nice_ticks", "nice_domain", "time_ticks", "percent_label"]

MINUTE, HOUR, DAY = 60, 3600, 86400
#: The mean Gregorian year (365.2425 days) and month, in seconds: ten calendar years are
#: never "longer than" ten of these, so a decade gets 2-year ticks, not 5-year ones.
YEAR = 31556952
MONTH = YEAR // 12
#: (unit, steps, approximate length in seconds): the units and steps of scale.ts.
UNITS = (("minute", (1, 2, 5, 10, 15, 30), MINUTE), ("hour", (1, 3, 6, 12), HOUR),
         ("day", (1, 2, 7, 14), DAY), ("month", (1, 2, 3, 6), MONTH),
         ("year", (1, 2, 5, 10, 20, 50), YEAR))
#: Every (unit, step, length of its unit) of ``UNITS``, shortest first.
_STEPS = tuple((name, s, length) for name, steps, length in UNITS for s in steps)
_LENGTH = {name: length for name, _, length in UNITS}
#: Fewer ticks than this (or than the count asked for) inside the range: one step finer.
MIN_TICKS = 3
#: 1970-01-05, a Monday: weekly ticks fall on Mondays (ISO weeks).
_MONDAY = 4 * DAY


def _dec(value: float) -> Decimal:
    # repr is the shortest text that reads back as the same float: exact and the same everywhere
    return Decimal(repr(float(value)))


def nice_step(span: float, count: int = 5) -> Decimal:
    """The step, 1, 2 or 5 times a power of ten, that cuts ``span`` into about ``count``
    intervals (1 for an empty or non-finite span)."""
    s = _dec(span) if span == span and abs(span) != float("inf") else Decimal(0)
    if s <= 0:
        return Decimal(1)
    raw = s / max(1, count)
    power = Decimal(1).scaleb(raw.adjusted())  # 10 ** exponent of raw's leading digit
    fraction = raw / power
    nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return power * nice


def _label(value: Decimal, step: Decimal) -> str:
    """``value`` rounded to the step's decimals, then with no trailing zeros, no exponent and
    no "-0" (``0.30`` prints as ``0.3``, ``0.00`` as ``0``, as scale.ts's ticks do)."""
    places = max(0, -step.normalize().as_tuple().exponent)
    text = f"{value.quantize(Decimal(1).scaleb(-places)).normalize():f}"
    return "0" if Decimal(text) == 0 else text


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[tuple[float, str]]:
    """(value, label) of every multiple of the nice step inside ``[lo, hi]``, ascending."""
    if not (lo == lo and hi == hi) or lo > hi or abs(lo) == float("inf") \
            or abs(hi) == float("inf"):
        return []
    if lo == hi:
        return [(lo, _label(_dec(lo), Decimal("0.0001")))]
    step = nice_step(hi - lo, count)
    first = (_dec(lo) / step).to_integral_value(rounding="ROUND_CEILING")
    last = (_dec(hi) / step).to_integral_value(rounding="ROUND_FLOOR")
    return [(float(k * step), _label(k * step, step)) for k in range(int(first), int(last) + 1)]


def nice_domain(lo: float, hi: float, count: int = 5) -> tuple[float, float]:
    """``[lo, hi]`` widened outwards to multiples of the nice step (equal ends get a span)."""
    if lo == hi:
        pad = 1.0 if lo == 0 else abs(lo) * 0.1
        return lo - pad, hi + pad
    step = nice_step(hi - lo, count)
    a = (_dec(lo) / step).to_integral_value(rounding="ROUND_FLOOR") * step
    b = (_dec(hi) / step).to_integral_value(rounding="ROUND_CEILING") * step
    return float(a) + 0.0, float(b) + 0.0


def percent_label(value: float, step: float) -> str:
    """A fraction as percent text with the decimals its tick step needs; past 10,000 % in
    thousands (k%) or millions (M%), so an axis label stays short (scale.ts's
    ``formatPercent``)."""
    pct, step_pct = _dec(value) * 100, _dec(step) * 100
    for limit, div, unit in ((Decimal("1e7"), Decimal("1e6"), "M"),
                             (Decimal("1e4"), Decimal("1e3"), "k")):
        if abs(pct) >= limit:
            return f"{_label(pct / div, max(step_pct / div, Decimal('0.001')))}{unit}%"
    return f"{_label(pct, max(step_pct, Decimal('0.0001')))}%"


def _utc(t: int, unit: str) -> str:
    d = datetime.fromtimestamp(t, timezone.utc)
    if unit == "year":
        return f"{d.year}"
    if unit == "month":
        return f"{d.year}-{d.month:02d}"
    if unit == "day":
        return f"{d.year}-{d.month:02d}-{d.day:02d}"
    return f"{d.year}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}"


def time_ticks(t0: int, t1: int, count: int = 5) -> list[tuple[int, str]]:
    """(epoch second, UTC label) of calendar-aligned ticks in ``[t0, t1]``, about ``count``.

    The step is the one of ``UNITS`` nearest, by ratio, to ``(t1 - t0) / count`` (d3-time's
    rule in ``scale.utcTicks``: of the first step at least that long and the one before it,
    the one the target is fewer times off), and one step finer when that leaves fewer than
    ``MIN_TICKS`` ticks inside the range. Taking the first step at least that long, as this
    did before, left a five-month span two quarterly ticks.
    Months and years fall on the 1st (years on multiples of the step), weeks on Mondays, days
    on midnight, hours and minutes on multiples of their step. A label carries what the unit
    needs: ``2021``, ``2021-04``, ``2021-04-12`` or ``2021-04-12 06:00``.

    >>> [label for _, label in time_ticks(1610668800, 1624147200)]  # 2021-01-15 .. 06-20
    ['2021-02', '2021-03', '2021-04', '2021-05', '2021-06']
    """
    if t1 <= t0:
        return [(t0, _utc(t0, "day"))]
    span, count = t1 - t0, max(1, count)  # as scale.ts: a count below 1 asks for one
    i = next((k for k, (_, s, length) in enumerate(_STEPS) if s * length * count >= span), None)
    if i is None:  # longer than 50 years a tick: whole years, rounded up
        return _ticks(t0, t1, "year", -(-span // (count * YEAR)))
    if i > 0:
        # the same float operations as scale.ts, so both pick the same step
        target = span / count
        _, ps, pl = _STEPS[i - 1]
        _, cs, cl = _STEPS[i]
        if target / (ps * pl) < (cs * cl) / target:
            i -= 1
    out = _ticks(t0, t1, *_STEPS[i][:2])
    if len(out) < min(MIN_TICKS, count) and i > 0:
        out = _ticks(t0, t1, *_STEPS[i - 1][:2])
    return out


def _ticks(t0: int, t1: int, unit: str, step: int) -> list[tuple[int, str]]:
    """Every tick of ``step`` ``unit`` in ``[t0, t1]``, aligned as ``time_ticks`` says."""
    out: list[int] = []
    if unit in ("month", "year"):
        start = datetime.fromtimestamp(t0, timezone.utc)
        y, m = start.year, 0 if unit == "year" else start.month - 1
        if unit == "year":
            y = y // step * step
        else:
            m = m // step * step
        while True:
            t = calendar.timegm((y, m + 1, 1, 0, 0, 0))
            if t > t1:
                break
            if t >= t0:
                out.append(t)
            if unit == "year":
                y += step
            else:
                m += step
                y, m = y + m // 12, m % 12
    else:
        size = step * _LENGTH[unit]
        base = _MONDAY if (unit == "day" and step == 7) else 0
        t = -(-(t0 - base) // size) * size + base
        while t <= t1:
            out.append(t)
            t += size
    return [(t, _utc(t, unit)) for t in out]
