"""Static, self-contained ``text/html`` for the run, lineage and audit payloads, and the
building blocks the governance payloads' HTML (:mod:`.governance`) shares.

The HTML is what a saved or exported notebook shows without a kernel or an extension: tables
and SVG charts as data-URI images only (sanitizers strip inline SVG), no script, no external URL, every string escaped. It is well-formed XML
(one ``<div>`` root) and made only from the payload, so the same payload gives the same bytes.
It quotes the full ``run_key``, ``dataset_id_v2`` and artifact hashes as text: a reviewer can
read them, and ``qrp verify --notebook`` checks them against the database.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .grid_svg import heatmap_svg
from .svg import PALETTE, as_image, equity_svg, esc, histogram_svg, lineage_svg, pbo_svg

__all__ = ["run_html", "lineage_html", "audit_html"]

_TABLE = ('<table style="border-collapse:collapse;font-family:monospace;font-size:12px;'
          'margin:4px 0">')
_CELL = 'style="border:1px solid #dddddd;padding:1px 6px;text-align:left"'


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return {True: "true", False: "false", None: "-"}[v]
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return str(v)


def _table(head: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = [_TABLE, "<tr>"] + [f"<th {_CELL}>{esc(h)}</th>" for h in head] + ["</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td {_CELL}>{esc(_fmt(c))}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _wrap(kind: str, title: str, parts: list[str]) -> str:
    return (f'<div class="qrp-output qrp-{kind}" style="font-family:sans-serif;font-size:13px">'
            f'<div style="font-weight:bold;margin:4px 0">{esc(title)}</div>'
            + "".join(parts) + "</div>")


def _section(title: str) -> str:
    return f'<div style="font-weight:bold;margin:8px 0 2px 0">{esc(title)}</div>'


def _rules(preview: dict[str, Any]) -> str:
    return _table(["rule", "metric", "value", "needs", "verdict", "severity", "describes"],
                  [(r["rule"], r["metric"], r["value"], f"{r['op']} {_fmt(r['threshold'])}",
                    r["verdict"], r["severity"],
                    {"grid": "the grid", "trial": "the trial"}.get(r.get("scope"), ""))
                   for r in preview["rules"]])


def _verdict(passed: bool, blockers: list[str], warnings: list[str]) -> str:
    colour = "#2ca02c" if passed else "#d62728"
    lines = [f'<div style="color:{colour};font-weight:bold">'
             f'{"PASSES" if passed else "BLOCKED"}</div>']
    lines += [f"<div>blocker: {esc(b)}</div>" for b in blockers]
    lines += [f"<div>warning: {esc(w)}</div>" for w in warnings]
    return "".join(lines)


def run_html(p: dict[str, Any]) -> str:
    """HTML of a run payload: ids, summary, equity curves, null histograms, trials,
    eligibility preview, artifact hashes."""
    run, s = p["run"], p["summary"]
    ids = _table(["id", "value"], [("run_key", p["run_key"]),
                                   ("run_instance_id", p["run_instance_id"]),
                                   ("dataset_id_v2", p["dataset_id_v2"]),
                                   ("code_hash", run["code_hash"]),
                                   ("engine", run["engine_version"])])
    facts = [("trials", p["n_trials"]), ("best trial", s.get("best_trial")),
             ("best params", s.get("best_params")),
             ("best Sharpe (annual)", s.get("best_sharpe_annual"))]
    facts += [(f"{n['test']} p-value", n["pvalue"]) for n in p["nulls"]]
    if p["pbo"] is not None:
        facts.append(("PBO (CSCV)", p["pbo"]["pbo"]))
    if p["stepm"] is not None:
        facts.append((f"StepM superior at {_fmt(p['stepm']['size'])}", p["stepm"]["superior"]))
    if p["walk_forward"] is not None:
        wf = p["walk_forward"]
        facts += [("walk-forward OOS Sharpe (annual)", wf["oos_sharpe_annual"]),
                  ("fold causality", "valid" if wf["fold_causality_valid"] else "INVALID")]
    eq = p["equity"]
    legend = "".join(f'<span style="color:{PALETTE[k % len(PALETTE)]}">trial '
                     f'{esc(c["trial_index"])} </span>' for k, c in enumerate(eq["curves"]))
    trials = _table(["trial", "params", "Sharpe (annual)", "total return", "max drawdown",
                     "trades"],
                    [(t["trial_index"], t["params"], t["sharpe_annual"],
                      t["metrics"].get("total_return"), t["metrics"].get("max_drawdown"),
                      t["metrics"].get("n_trades")) for t in p["trials"]])
    e = p["eligibility"]
    return _wrap("run", f"QRP run {run['name'] or run['family']} (family {run['family']}), "
                        f"instance #{run['seq']} ({run['purpose']})", [
        ids, _table(["result", "value"], facts),
        _section("Equity curves"), as_image(equity_svg(
            eq["index"], eq["curves"], timestamps=eq.get("timestamps"),
            markers=(p["walk_forward"] or {}).get("boundaries"))),
        f"<div>{legend}</div>",
        _section("Null distributions (observed statistic in red)"),
        "".join(as_image(histogram_svg(n)) for n in p["nulls"])
        or "<div>no null test in this run</div>",
        *([_section("PBO: logit of the in-sample best trial's out-of-sample rank"),
           as_image(pbo_svg(p["pbo"]))] if p["pbo"] is not None and "bins" in p["pbo"] else []),
        *([_section(f"Parameter grid: annualized Sharpe of all {p['n_trials']} trials"),
           as_image(heatmap_svg(p["grid"]))] if "grid" in p else []),
        _section(f"Best {len(p['trials'])} of {p['n_trials']} trials by Sharpe"), trials,
        _section(f"Eligibility preview: trial {e['trial_index']} at level {e['level']} "
                 f"(policy {e['policy']['name']} v{e['policy']['version']}; nothing stored)"),
        _verdict(e["passed"], e["blockers"], e["warnings"]), _rules(e),
        _section("Artifacts (SHA-256 of their bytes)"),
        _table(["kind", "artifact_id"], sorted(p["artifacts"].items())),
    ])


def lineage_html(p: dict[str, Any]) -> str:
    """HTML of a lineage payload: the DAG as SVG and every node's hashes as a table."""
    root = p["root"]
    nodes = sorted(p["nodes"], key=lambda n: (n["x"], n["y"], n["id"]))
    return _wrap("lineage", f"QRP lineage of {root['kind']} {root['id']}", [
        _table(["id", "value"], [("run_key", p["run_key"]),
                                 ("dataset_id_v2", p["dataset_id_v2"])]),
        as_image(lineage_svg(p["nodes"], p["edges"])),
        _section(f"{len(p['nodes'])} nodes, {len(p['edges'])} edges (left = sources)"),
        _table(["layer", "kind", "label", "hashes"],
               [(int(n["x"]), n["kind"], n["label"],
                 " ".join(f"{k}={v}" for k, v in n["hashes"].items())) for n in nodes]),
    ])


def audit_html(p: dict[str, Any]) -> str:
    """HTML of an audit payload: verdict, candidate, reports with rules, ids, artifacts,
    events, and every check."""
    c, run = p["candidate"], p["run"]
    parts = [
        f'<div style="color:{"#2ca02c" if p["ok"] else "#d62728"};font-weight:bold">'
        f'{"ALL CHECKS PASS" if p["ok"] else "PROBLEMS FOUND"}</div>',
        _table(["field", "value"], [("candidate_id", p["candidate_id"]),
                                    ("status", c["status"]), ("trial", c["trial_index"]),
                                    ("params", c["params"]),
                                    ("Sharpe (annual)", c["sharpe_annual"]),
                                    ("eligibility_report_id", c["eligibility_report_id"]),
                                    ("run_key", p["run_key"]),
                                    ("run_instance_id", p["run_instance_id"]),
                                    ("dataset_id_v2", p["dataset_id_v2"]),
                                    ("family", run["family"]),
                                    ("engine", run["engine_version"])]),
    ]
    for r in p["reports"]:
        pol = r["policy"] or {}
        parts += [_section(f"Report {r['eligibility_report_id']} level {r['level']} "
                           f"policy {pol.get('name')} v{pol.get('version')}"),
                  _verdict(r["passed"], r["blockers"], r["warnings"]), _rules(r)]
    parts += [_section("Artifacts (hash-verified)"),
              _table(["kind", "role", "by", "artifact_id"],
                     [(a["kind"], a["role"], a["by"], a["artifact_id"])
                      for a in p["artifacts"]]),
              _section("Governance events"),
              _table(["seq", "kind", "from", "to", "actor", "reason", "event_hash"],
                     [(e["seq"], e["kind"], e["from_status"], e["to_status"], e["actor"],
                       e["reason"], e["event_hash"]) for e in p["events"]]),
              _section("Checks"),
              _table(["ok", "check"], [("ok" if ch["ok"] else "FAIL", ch["check"])
                                       for ch in p["checks"]])]
    return _wrap("audit", f"QRP audit of candidate {p['candidate_id']}", parts)
