"""Listings a quant scans: every run with its evidence at a glance, every candidate with its
last verdict, as ``text/plain`` and static ``text/html`` tables.

What a listing shows, and why:

* **Short ids.** A 64-hex id is shown as its first 12 characters (:data:`SHORT_ID`, the
  prefix every magic accepts as a reference); the HTML cell carries the full id in its
  ``title`` (hover, or copy from the page source), and the data (the payload, the DataFrame)
  keeps full ids.
* **One missing-value marker**, :data:`MISSING` (an em dash), for anything absent: no ``None``
  beside ``NaN`` beside ``-``.
* **The last report**: a candidate's status alone hides a refusal (a refused promotion leaves
  the status where it was, ``exploratory``), so each row also says what the candidate's last
  eligibility report decided, at which level, and which rules blocked it. "Last" is by
  position in the governance event chain (``seq``), never by timestamp: under
  ``QRP_DETERMINISTIC_TIME`` every report has the same time.

Everything here reads the store and writes nothing; values from users (names, families,
blockers) are escaped in HTML and shown with control characters escaped in text.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable, Sequence

from ..safetext import shown
from ..store import Store
from .svg import esc

__all__ = ["MISSING", "SHORT_ID", "RUN_COLUMNS", "CANDIDATE_COLUMNS", "last_reports",
           "runs_listing", "verdict_text", "listing_text", "listing_html", "listing_bundle",
           "short_id", "blocker_rules"]

#: The one marker of a missing value in every listing.
MISSING = "\u2014"
#: Characters of an id shown in a listing (the full id stays in the data and the HTML title).
SHORT_ID = 12
#: Widest text/plain column; longer values end with an ellipsis (the HTML shows them whole).
_TEXT_WIDTH = 48
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: Lifecycle order, for a run whose candidates have several statuses.
_STATUS_ORDER = ("accepted", "candidate", "exploratory", "rejected", "retired")

#: ``(key, heading)`` of the run listing, in display order.
RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_key", "run_key"), ("name", "name"), ("family", "family"), ("trials", "trials"),
    ("best_sharpe_annual", "best Sharpe (ann.)"), ("reality_check_pvalue", "RC p"),
    ("spa_pvalue", "SPA p"), ("pbo", "PBO"), ("status", "status"),
    ("last_verdict", "last report"), ("blockers", "blockers"),
    ("last_report_id", "last report id"), ("instances", "instances"), ("replays", "replays"),
    ("dataset_id_v2", "dataset_id_v2"))

#: ``(key, heading)`` of the candidate listing, in display order.
CANDIDATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("candidate_id", "candidate_id"), ("status", "status"), ("family", "family"),
    ("run_name", "run"), ("trial_index", "trial"), ("params", "params"),
    ("sharpe_annual", "Sharpe (ann.)"), ("last_verdict", "last report"),
    ("blockers", "blockers"), ("last_report_id", "last report id"),
    ("eligibility_report_id", "status rests on"), ("run_key", "run_key"))


def short_id(value: str) -> str:
    """The listing form of a 64-hex id: its first :data:`SHORT_ID` characters."""
    return value[:SHORT_ID]


def blocker_rules(blockers: Iterable[str]) -> list[str]:
    """The rule names of readable blockers (``"pbo: pbo = 0.42 (needs <= 0.4)"`` -> ``pbo``)."""
    return [b.split(":", 1)[0] for b in blockers]


def last_reports(store: Store, candidate_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The last eligibility report of each candidate that has one: ``eligibility_report_id``,
    ``level``, ``passed``, ``blockers`` (readable, as the report stores them) and ``seq`` (the
    chain position of the event that recorded it).

    "Last" is the report named by the candidate's latest governance event that names one
    (``promoted`` or ``promotion_refused``), by chain position.
    """
    latest: dict[str, tuple[str, int]] = {}
    for ev in store.all("governance_events.of_candidates", (json.dumps(list(candidate_ids)),)):
        rid = json.loads(ev["payload_json"]).get("eligibility_report_id")
        if isinstance(rid, str):
            latest[ev["candidate_id"]] = (rid, ev["seq"])
    out = {}
    for cid, (rid, seq) in latest.items():
        row = store.one("eligibility_reports.get", (rid,))
        if row is None:  # verify reports a dangling link; a listing shows what exists
            continue
        report = json.loads(row["payload_json"])
        out[cid] = {"eligibility_report_id": rid, "level": row["level"],
                    "passed": bool(row["passed"]), "blockers": list(report.get("blockers", [])),
                    "seq": seq}
    return out


def _finite(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and math.isfinite(float(v)) else None


def verdict_text(report: dict[str, Any] | None) -> str | None:
    """``passed (accepted)`` / ``refused (candidate)`` of a :func:`last_reports` entry."""
    if report is None:
        return None
    return f"{'passed' if report['passed'] else 'refused'} ({report['level']})"


def runs_listing(store: Store) -> list[dict[str, Any]]:
    """Every run, oldest first, with the keys of :data:`RUN_COLUMNS` (full ids, ``None`` for
    what is missing).

    Trials and the statistics (best annualized Sharpe, Reality Check and SPA p-values, PBO)
    are those of the run's latest original instance (a replay recomputes, it does not
    replace); ``status`` lists the statuses of the run's candidates in lifecycle order
    (``None``: nothing was ever proposed); the last report is the latest of any of its
    candidates, with the rule names that blocked it.
    """
    runs = [dict(r) for r in store.all("runs.listing")]
    cands = [dict(r) for r in store.all("promotion_candidates.listing")]
    by_run: dict[str, list[dict[str, Any]]] = {}
    for c in cands:
        by_run.setdefault(c["run_key"], []).append(c)
    reports = last_reports(store, [c["candidate_id"] for c in cands])
    out = []
    for r in runs:
        inst = store.one("run_instances.latest_original", (r["run_key"],))
        summary: dict[str, Any] = {}
        if inst is not None:
            row = store.one("run_instances.get", (inst["run_instance_id"],))
            summary = json.loads(row["result_json"]).get("summary", {})
        mine = by_run.get(r["run_key"], [])
        statuses = sorted({c["status"] for c in mine}, key=_STATUS_ORDER.index)
        last = max((reports[c["candidate_id"]] for c in mine if c["candidate_id"] in reports),
                   key=lambda rep: rep["seq"], default=None)
        out.append({
            "run_key": r["run_key"], "name": r["name"], "family": r["family"],
            "trials": summary.get("n_trials"),
            "best_sharpe_annual": _finite(summary.get("best_sharpe_annual")),
            "reality_check_pvalue": _finite(summary.get("reality_check_pvalue")),
            "spa_pvalue": _finite(summary.get("spa_pvalue")),
            "pbo": _finite(summary.get("pbo")),
            "status": ", ".join(statuses) or None,
            "last_verdict": verdict_text(last),
            "blockers": None if last is None else blocker_rules(last["blockers"]),
            "last_report_id": None if last is None else last["eligibility_report_id"],
            "instances": r["instances"], "replays": r["replays"],
            "dataset_id_v2": r["dataset_id_v2"]})
    return out


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------

def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:  # pandas.NA, numpy.nan inside object columns, NaT: "not equal to itself" or NA
        return bool(v != v)
    except (TypeError, ValueError):
        return True  # pandas.NA raises on bool(): it is missing


def _cell(v: Any) -> tuple[str, str | None]:
    """``(shown text, full text for the HTML title or None)`` of one value."""
    if _missing(v):
        return MISSING, None
    if isinstance(v, str) and _HEX64.fullmatch(v):
        return short_id(v), v
    if isinstance(v, bool):
        return ("true" if v else "false"), None
    if isinstance(v, float):
        return f"{v:.4g}", None
    if isinstance(v, (list, tuple)):
        if not v:
            return "none", None
        return ", ".join(shown(x) for x in v), None
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True), None
    if hasattr(v, "item") and not isinstance(v, str):  # a numpy scalar
        return _cell(v.item())
    return shown(v), None


def listing_text(title: str, columns: Sequence[tuple[str, str]],
                 rows: Sequence[dict[str, Any]]) -> str:
    """The listing as fixed-width plain text: short ids, :data:`MISSING` for absent values."""
    shown_rows = [[_cell(r.get(k))[0] for k, _ in columns] for r in rows]
    shown_rows = [[c if len(c) <= _TEXT_WIDTH else c[:_TEXT_WIDTH - 1] + "\u2026" for c in row]
                  for row in shown_rows]
    heads = [h for _, h in columns]
    widths = [max([len(h)] + [len(row[i]) for row in shown_rows]) for i, h in enumerate(heads)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in shown_rows]
    return "\n".join(lines)


_TABLE = ('<table class="qrp-listing" style="border-collapse:collapse;font-size:12px;'
          'margin:4px 0">')
_TD = 'style="border:1px solid #dddddd;padding:1px 6px;text-align:left;white-space:nowrap"'
_MONO = ';font-family:monospace'


def _td(v: Any) -> str:
    text, full = _cell(v)
    style = _TD if full is None else _TD[:-1] + _MONO + '"'
    title = "" if full is None else f' title="{esc(full)}"'
    return f"<td {style}{title}>{esc(text)}</td>"


def listing_html(title: str, columns: Sequence[tuple[str, str]],
                 rows: Sequence[dict[str, Any]], *, kind: str = "listing") -> str:
    """The listing as a static HTML table: short ids with the full id in the cell's ``title``,
    :data:`MISSING` for absent values, every string escaped."""
    out = [f'<div class="qrp-output qrp-{esc(kind)}" style="font-family:sans-serif;'
           f'font-size:13px"><div style="font-weight:bold;margin:4px 0">{esc(title)}</div>',
           _TABLE, "<tr>"]
    out += [f"<th {_TD}>{esc(h)}</th>" for _, h in columns]
    out.append("</tr>")
    for r in rows:
        out.append("<tr>" + "".join(_td(r.get(k)) for k, _ in columns) + "</tr>")
    out.append("</table></div>")
    return "".join(out)


def listing_bundle(title: str, columns: Sequence[tuple[str, str]],
                   rows: Sequence[dict[str, Any]], *, kind: str = "listing") -> dict[str, str]:
    """``text/plain`` and ``text/html`` of a listing (no QRP payload: a listing of runs is a
    view of the store, not evidence a notebook output vouches for)."""
    return {"text/plain": listing_text(title, columns, rows),
            "text/html": listing_html(title, columns, rows, kind=kind)}
