"""The field lists of QRP's JSON payloads, as data that the docs, the tests and any
reader share.

A schema node is a plain dict: ``type`` (``string``, ``hex64``, ``integer``, ``number``,
``boolean``, ``any``, ``object``, ``map``, ``array``), ``doc``, and as fits the type ``fields``
(an object's named fields; an object without them is free-form), ``values`` (a map's value
node), ``items`` (an array's item node), ``enum``, ``nullable`` and ``optional``. The checker is
hand-written (no jsonschema dependency); :func:`schema_markdown` renders the tables that
``docs/mime-types.md`` quotes verbatim, which a test pins.
"""

from __future__ import annotations

import math
from typing import Any

from ..lineage import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE, MIME_REPORT,
                       MIME_RUN, MIME_VERIFY, MIME_VERSION, NODE_KINDS)

__all__ = ["SCHEMAS", "RUN_SCHEMA", "LINEAGE_SCHEMA", "AUDIT_SCHEMA", "PREVIEW_SCHEMA",
           "REPORT_SCHEMA", "EVENT_SCHEMA", "CANDIDATES_SCHEMA", "VERIFY_SCHEMA",
           "validate_payload", "schema_problems", "schema_rows", "schema_markdown"]


def _t(type_: str, doc: str, **kw: Any) -> dict[str, Any]:
    return {"type": type_, "doc": doc, **kw}


def _obj(doc: str, fields: dict[str, dict[str, Any]] | None = None, **kw: Any) -> dict:
    return _t("object", doc, **({"fields": fields} if fields is not None else {}), **kw)


def _arr(doc: str, items: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return _t("array", doc, items=items, **kw)


def _hex(doc: str, **kw: Any) -> dict[str, Any]:
    return _t("hex64", doc, **kw)


def _header(mime: str) -> dict[str, dict[str, Any]]:
    return {"qrp_mime_version": _t("integer", "format version; readers reject others",
                                   enum=[MIME_VERSION]),
            "mime": _t("string", "the payload's own media type", enum=[mime])}


def _provenance(render: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The fields every output of the magics carries so it can be re-rendered (optional: a
    payload built directly by a ``*_payload`` function has none; ``verify --notebook``
    requires them)."""
    return {
        "render": _obj("what the output was rendered from, with the store", render,
                       optional=True),
        "ledger": _obj("the ledger head the output was rendered at", {
            "block_seq": _t("integer", "block number"),
            "digest": _hex("the block's hash: the store's digest then"),
        }, nullable=True, optional=True),
        "source_sha256": _hex("SHA-256 of the UTF-8 source of the cell that made the output",
                              nullable=True, optional=True),
    }


_REF = {"ref": _hex("full id of what is shown")}

_RULE = _obj("one rule of the policy, evaluated", {
    "rule": _t("string", "rule name, e.g. data_snooping"),
    "metric": _t("string", "the metric compared"),
    "op": _t("string", "comparison", enum=[">=", ">", "<=", "<", "=="]),
    "threshold": _t("any", "the policy's threshold (number or boolean)"),
    "value": _t("any", "the measured value (number, boolean or null when missing)"),
    "verdict": _t("string", "outcome", enum=["pass", "fail", "missing"]),
    "severity": _t("string", "a failing blocker refuses promotion",
                   enum=["blocker", "warning"]),
    "scope": _t("string", "what the value describes: the candidate trial, or the grid (a "
                "grid-level value supports only the grid's best trial)",
                enum=["trial", "grid"], optional=True),
    "why": _t("string", "what the rule guards against", optional=True),
    "artifact_id": _hex("stored artifact the value was read from", nullable=True),
})

PREVIEW_SCHEMA = _obj("read-only eligibility preview of a trial (nothing written)", {
    "kind": _t("string", "document kind", enum=["eligibility_preview"]),
    "version": _t("integer", "document version", enum=[1]),
    "candidate_id": _hex("id the trial has (or would have) as a candidate"),
    "candidate_status": _t("string", "status if the trial is a candidate already",
                           nullable=True),
    "from_status": _t("string", "status a promotion would start from"),
    "transition_allowed": _t("boolean", "could a promotion to `level` be tried now"),
    "run_key": _hex("run of the trial"),
    "run_instance_id": _hex("instance evaluated"),
    "trial_index": _t("integer", "trial evaluated"),
    "level": _t("string", "level evaluated", enum=["candidate", "accepted"]),
    "policy": _obj("policy evaluated", {"name": _t("string", "policy name"),
                                        "version": _t("integer", "policy version"),
                                        "hash": _hex("policy hash")}),
    "rules": _arr("every rule with value, threshold, verdict", _RULE),
    "passed": _t("boolean", "true when no blocker failed"),
    "blockers": _arr("readable failing blockers", _t("string", "one blocker")),
    "warnings": _arr("readable failing warnings", _t("string", "one warning")),
    "evidence": _t("map", "artifact kind -> id of the evidence used", values=_hex("id")),
    "stored": _t("boolean", "always false: a preview is never stored", enum=[False]),
})

_ID = {"run_key": _hex("the run's semantic identity (also quoted in text/html)"),
       "dataset_id_v2": _hex("exact data the run consumed")}

RUN_SCHEMA = _obj("application/vnd.qrp.run+json: one run instance's results", {
    **_header(MIME_RUN),
    "run_key": _ID["run_key"],
    "run_instance_id": _hex("the execution shown"),
    "dataset_id_v2": _ID["dataset_id_v2"],
    "run": _obj("the run and the instance", {
        "name": _t("string", "run name from the config", nullable=True),
        "family": _t("string", "research family (its trials feed the deflated Sharpe N)"),
        "engine_version": _t("string", "engine version that computed it"),
        "code_hash": _hex("hash of the user strategy's source", nullable=True),
        "seq": _t("integer", "instance number within the run_key, from 1"),
        "purpose": _t("string", "original run or replay", enum=["run", "replay"]),
        "replay_of": _hex("original instance of a replay", nullable=True),
        "started_at": _t("string", "ISO-8601 UTC start time of the instance"),
        "actor": _t("string", "who ran it"),
    }),
    "artifacts": _t("map", "artifact kind -> artifact id (SHA-256 of its bytes) of every "
                           "input and output of the instance", values=_hex("artifact id")),
    "config": _obj("the complete normalised run config (every default filled in)"),
    "summary": _obj("the instance's result summary (n_trials, best_trial, p-values, ...)"),
    "n_trials": _t("integer", "trials in the run's grid"),
    "trials": _arr("the best trials by per-period Sharpe, best first", _obj("one trial", {
        "trial_index": _t("integer", "index in the grid"),
        "params": _obj("the trial's parameters"),
        "sharpe_annual": _t("number", "annualized Sharpe", nullable=True),
        "metrics": _obj("every stored metric of the trial"),
    })),
    "equity": _obj("equity curves of the trials shown", {
        "definition": _t("string", "how values are computed"),
        "n_obs": _t("integer", "rows of the returns matrix"),
        "index": _arr("row numbers sampled (ascending, first and last included)",
                      _t("integer", "row")),
        "curves": _arr("one curve per trial shown, same order as trials", _obj("curve", {
            "trial_index": _t("integer", "trial"),
            "values": _arr("cumulative return at each sampled row",
                           _t("number", "value", nullable=True)),
        })),
        "timestamps": _arr("time of each sampled row, same length as index (absent when the "
                           "dataset's bars do not match the returns matrix)",
                           _t("string", "ISO-8601 UTC, e.g. 2024-01-01T01:00:00Z"),
                           optional=True),
        "timestamp_definition": _t("string", "which bar's time a row carries (present with "
                                             "timestamps)", optional=True),
    }),
    "nulls": _arr("bootstrap null distributions (reality check, SPA)", _obj("one test", {
        "test": _t("string", "which test", enum=["reality_check", "spa"]),
        "statistic": _t("number", "observed test statistic", nullable=True),
        "pvalue": _t("number", "p-value (SPA: consistent)"),
        "studentized": _t("boolean", "studentized statistic or not"),
        "reps": _t("integer", "bootstrap replicates"),
        "block_size": _t("number", "mean block length used", nullable=True),
        "bins": _arr("histogram bin edges (len(counts) + 1), spanning the null and the "
                     "statistic", _t("number", "edge")),
        "counts": _arr("replicates per bin (SPA: of its consistent statistic)",
                       _t("integer", "count")),
        "artifact_id": _hex("the test's result artifact"),
        "null_artifact_id": _hex("the null distribution array artifact"),
    })),
    "pbo": _obj("probability of backtest overfitting (CSCV)", {
        "pbo": _t("number", "share of splits whose in-sample best ranks below median OOS"),
        "n_blocks": _t("integer", "CSCV blocks"),
        "n_splits": _t("integer", "splits evaluated"),
        "artifact_id": _hex("the pbo artifact"),
        "bins": _arr("logit histogram bin edges (len(counts) + 1), spanning the logits and 0",
                     _t("number", "edge"), optional=True),
        "counts": _arr("splits per logit bin", _t("integer", "count"), optional=True),
        "logits_artifact_id": _hex("the pbo_logits array the histogram counts (present with "
                                   "bins)", optional=True),
    }, nullable=True),
    "stepm": _obj("Romano-Wolf StepM", {
        "superior": _arr("trial indices found superior", _t("integer", "trial")),
        "size": _t("number", "familywise error rate"),
        "artifact_id": _hex("the stepm artifact"),
    }, nullable=True),
    "walk_forward": _obj("walk-forward out-of-sample result", {
        "oos_sharpe_annual": _t("number", "one-book OOS annualized Sharpe (cpcv: mean over paths)", nullable=True),
        "fold_causality_valid": _t("boolean", "the fold-causality attestation holds"),
        "n_folds": _t("integer", "folds"),
        "chosen": _arr("trial chosen on each fold's train rows", _t("integer", "trial")),
        "artifact_id": _hex("the walk_forward artifact"),
        "attestation_id": _hex("the fold_causality artifact"),
        "boundaries": _arr("where each test fold (cpcv: each group) starts, in row order",
                           _obj("one boundary", {
                               "label": _t("string", "e.g. `fold 2 test` or `group 3`"),
                               "row": _t("integer", "first returns-matrix row of the fold"),
                               "timestamp": _t("string", "ISO-8601 UTC time of that row "
                                                         "(present with equity.timestamps)",
                                               optional=True),
                           }), optional=True),
    }, nullable=True),
    "eligibility": PREVIEW_SCHEMA,
    "grid": _obj("every trial's annualized Sharpe over the two parameters the grid varies "
                 "(absent when it varies another number of them, or has more than 2,500 "
                 "trials)", {
        "x": _obj("the parameter along the columns", {
            "name": _t("string", "parameter name"),
            "values": _arr("its values, ascending (numbers by value, others by JSON text)",
                           _t("any", "a value")),
        }),
        "y": _obj("the parameter along the rows", {
            "name": _t("string", "parameter name"),
            "values": _arr("its values, ascending", _t("any", "a value")),
        }),
        "sharpe_annual": _arr("one row per y value, one cell per x value",
                              _arr("a row", _t("number", "annualized Sharpe", nullable=True))),
        "trial_index": _arr("the trial of each cell (null: no trial has that pair)",
                            _arr("a row", _t("integer", "trial", nullable=True))),
    }, optional=True),
    **_provenance({"ref": _hex("the run_instance_id shown"),
                   "max_trials": _t("integer", "trials shown"),
                   "max_points": _t("integer", "most points per equity curve")}),
})

LINEAGE_SCHEMA = _obj("application/vnd.qrp.lineage+json: a lineage DAG with its layout", {
    **_header(MIME_LINEAGE),
    "root": _obj("what the graph was asked for", {
        "kind": _t("string", "kind of the reference",
                   enum=["run", "run_instance", "candidate"]),
        "id": _hex("its full id"),
    }),
    **_ID,
    "layout": _obj("how x and y were computed", {
        "algorithm": _t("string", "layered-longest-path-barycentre"),
        "direction": _t("string", "x grows downstream", enum=["left-to-right"]),
        "n_layers": _t("integer", "number of layers (max x + 1)"),
    }),
    "nodes": _arr("every node, sorted by id", _obj("node", {
        "id": _t("string", "`<kind>:<full id>`, unique"),
        "kind": _t("string", "node kind", enum=list(NODE_KINDS)),
        "label": _t("string", "short display label"),
        "x": _t("number", "layer: 0 = sources (data, code)"),
        "y": _t("number", "position within the layer, centred on 0, steps of 1"),
        "hashes": _t("map", "hash name -> full 64-hex hash", values=_hex("hash")),
        "details": _obj("kind-specific details (config, metrics, status, rules, ...)"),
    })),
    "edges": _arr("every edge, upstream -> downstream, sorted", _obj("edge", {
        "source": _t("string", "upstream node id"),
        "target": _t("string", "downstream node id"),
        "relation": _t("string", "relation name(s), joined with + when several"),
    })),
    **_provenance({"ref": _hex("full id of the root")}),
})

_CHECK = _obj("one verification", {"check": _t("string", "what was verified"),
                                   "ok": _t("boolean", "verdict"),
                                   "detail": _t("string", "extra detail")})

AUDIT_SCHEMA = _obj("application/vnd.qrp.audit+json: a candidate's verified evidence chain", {
    **_header(MIME_AUDIT),
    "candidate_id": _hex("the candidate audited"),
    **_ID,
    "run_instance_id": _hex("the instance the candidate came from"),
    "ok": _t("boolean", "every check passed"),
    "candidate": _obj("the candidate", {
        "candidate_id": _hex("id"),
        "status": _t("string", "status",
                     enum=["exploratory", "candidate", "accepted", "rejected", "retired"]),
        "trial_index": _t("integer", "trial"),
        "params": _obj("trial parameters"),
        "sharpe_annual": _t("number", "in-sample annualized Sharpe", nullable=True),
        "n_trades": _t("integer", "position changes", nullable=True),
        "eligibility_report_id": _hex("the report its status rests on", nullable=True),
    }),
    "reports": _arr("every eligibility report of the candidate, oldest first", _obj("report", {
        "eligibility_report_id": _hex("id = SHA-256 of the report's canonical payload"),
        "level": _t("string", "level", enum=["candidate", "accepted"]),
        "passed": _t("boolean", "passed"),
        "created_at": _t("string", "ISO-8601 UTC"),
        "policy": _obj("policy name, version, hash", nullable=True),
        "rules": _arr("every rule evaluated", _RULE),
        "blockers": _arr("failing blockers", _t("string", "blocker")),
        "warnings": _arr("failing warnings", _t("string", "warning")),
        "evidence": _t("map", "artifact kind -> id", values=_hex("id")),
        "actor": _t("string", "who asked", nullable=True),
    })),
    "run_instance": _obj("the instance", {
        "run_instance_id": _hex("id"), "seq": _t("integer", "number"),
        "purpose": _t("string", "run or replay"), "started_at": _t("string", "ISO-8601"),
        "actor": _t("string", "who ran it"), "summary": _obj("result summary"),
    }),
    "run": _obj("the run", {
        "run_key": _hex("id"), "name": _t("string", "name", nullable=True),
        "family": _t("string", "research family"),
        "engine_version": _t("string", "engine version"),
        "code_hash": _hex("user code hash", nullable=True),
        "config": _obj("normalised config"),
    }),
    "dataset": _obj("the dataset", {
        "dataset_id_v2": _hex("id"), "source": _t("string", "where it was loaded from"),
        "summary": _obj("assets, rows, interval, ..."),
        "artifact_id": _hex("same as dataset_id_v2"),
        "media_type": _t("string", "media type", optional=True),
        "size": _t("integer", "bytes", optional=True),
        "missing": _t("boolean", "the blob is missing", optional=True),
    }),
    "seeds": _arr("seed records of the null procedures", _obj("seed record (free-form)")),
    "artifacts": _arr("artifacts used or produced, hash-verified", _obj("artifact", {
        "artifact_id": _hex("id"), "kind": _t("string", "artifact kind"),
        "role": _t("string", "input or output", enum=["input", "output"]),
        "by": _t("string", "who used/produced it", enum=["run", "report"]),
        "media_type": _t("string", "media type", optional=True),
        "size": _t("integer", "bytes", optional=True),
        "missing": _t("boolean", "the blob is missing", optional=True),
    })),
    "edges": _arr("artifact edges among them", _obj("edge", {
        "child_id": _hex("derived artifact"), "parent_id": _hex("source artifact"),
        "relation": _t("string", "derived_from, summarizes, attests, seeded_by, ...")})),
    "events": _arr("the candidate's governance events", _obj("event", {
        "seq": _t("integer", "chain position"), "kind": _t("string", "event kind"),
        "at": _t("string", "ISO-8601", nullable=True),
        "actor": _t("string", "who", nullable=True),
        "from_status": _t("string", "before", nullable=True),
        "to_status": _t("string", "after", nullable=True),
        "reason": _t("string", "reason", nullable=True),
        "eligibility_report_id": _hex("report", nullable=True),
        "event_hash": _hex("SHA-256(prev_hash || payload)"),
    })),
    "checks": _arr("every verification made, with verdict", _CHECK),
    **_provenance({"ref": _hex("the candidate_id audited")}),
})

REPORT_SCHEMA = _obj("application/vnd.qrp.report+json: a promotion's eligibility report", {
    **_header(MIME_REPORT),
    "eligibility_report_id": _hex("id = SHA-256 of `report` in canonical JSON"),
    "candidate_id": _hex("the candidate evaluated"),
    **_ID,
    "run_instance_id": _hex("the instance the candidate came from"),
    "level": _t("string", "level evaluated", enum=["candidate", "accepted"]),
    "passed": _t("boolean", "promoted (true) or refused (false)"),
    "report": _obj("the stored report exactly: rules with value, threshold and verdict, "
                   "blockers, warnings, evidence, policy, actor, time"),
    **_provenance({"ref": _hex("the eligibility_report_id shown")}),
})

EVENT_SCHEMA = _obj("application/vnd.qrp.event+json: a candidate rejected or retired", {
    **_header(MIME_EVENT),
    "event_hash": _hex("SHA-256(prev_hash // payload): the event's link in the chain"),
    "seq": _t("integer", "chain position"),
    "kind": _t("string", "event kind (rejected, retired)"),
    "candidate_id": _hex("the candidate"),
    "run_key": _hex("the candidate's run (also quoted in text/html)", nullable=True),
    "dataset_id_v2": _hex("exact data the run consumed", nullable=True),
    "event": _obj("the stored event payload exactly: from_status, to_status, reason, actor, "
                  "at, ..."),
    **_provenance({"ref": _hex("the event_hash shown")}),
})

CANDIDATES_SCHEMA = _obj("application/vnd.qrp.candidates+json: every promotion candidate", {
    **_header(MIME_CANDIDATES),
    "candidates": _arr("every candidate, by family, run_key, trial", _obj("candidate", {
        "candidate_id": _hex("id"),
        "status": _t("string", "status at the recorded head",
                     enum=["exploratory", "candidate", "accepted", "rejected", "retired"]),
        "run_key": _hex("run"),
        "trial_index": _t("integer", "trial"),
        "params": _obj("trial parameters"),
        "sharpe_annual": _t("number", "in-sample annualized Sharpe", nullable=True),
        "family": _t("string", "research family"),
        "run_name": _t("string", "run name", nullable=True),
        "eligibility_report_id": _hex("the report its status rests on", nullable=True),
        "last_report": _obj("the candidate's last eligibility report, by position in the event "
                            "chain (a refusal leaves the status unchanged: this says it was "
                            "refused); null before any promotion attempt", {
            "eligibility_report_id": _hex("its id"),
            "level": _t("string", "level evaluated", enum=["candidate", "accepted"]),
            "passed": _t("boolean", "promoted (true) or refused (false)"),
            "blockers": _arr("its failing blockers, readable", _t("string", "blocker")),
        }, nullable=True, optional=True),
    })),
    **_provenance({}),
})

VERIFY_SCHEMA = _obj("application/vnd.qrp.verify+json: a verify result", {
    **_header(MIME_VERIFY),
    "subject": _t("string", "what was verified", enum=["store", "notebook"]),
    "target": _t("string", "the store or notebook path, as the user gave it (a label)"),
    "ok": _t("boolean", "no problem found"),
    "checked": _t("map", "what was checked -> how many", values=_t("integer", "count")),
    "problems": _arr("every problem found", _obj("problem (free-form: table, row, problem; "
                                                 "or cell, output, mime, problem)")),
    "text": _t("string", "the result as `qrp verify` prints it"),
    **_provenance({
        "subject": _t("string", "store or notebook", enum=["store", "notebook"]),
        "target": _t("string", "as above"),
        "digests": _arr("recorded ledger digests checked (store)", _hex("digest"),
                        optional=True),
        "notebook_sha256": _hex("SHA-256 of the verified notebook's bytes (notebook)",
                                optional=True),
    }),
})

SCHEMAS = {MIME_RUN: RUN_SCHEMA, MIME_LINEAGE: LINEAGE_SCHEMA, MIME_AUDIT: AUDIT_SCHEMA,
           MIME_REPORT: REPORT_SCHEMA, MIME_CANDIDATES: CANDIDATES_SCHEMA,
           MIME_VERIFY: VERIFY_SCHEMA, MIME_EVENT: EVENT_SCHEMA}


# ---------------------------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------------------------

def _type_ok(value: Any, type_: str) -> bool:
    if type_ == "any":
        return True
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "hex64":
        return (isinstance(value, str) and len(value) == 64
                and all(c in "0123456789abcdef" for c in value))
    if type_ == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "number":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value))
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ in ("object", "map"):
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    return type_ == "array" and isinstance(value, list)


def schema_problems(value: Any, node: dict[str, Any], path: str = "$") -> list[str]:
    """Every way ``value`` departs from the schema ``node``, each naming its JSON path."""
    if value is None and node.get("nullable"):
        return []
    if not _type_ok(value, node["type"]):
        return [f"{path}: expected {node['type']}, got {type(value).__name__}"]
    if "enum" in node and value not in node["enum"]:
        return [f"{path}: {value!r} is not one of {node['enum']!r}"]
    out: list[str] = []
    if node["type"] == "array":
        for i, item in enumerate(value):
            out += schema_problems(item, node["items"], f"{path}[{i}]")
    elif node["type"] == "map":
        for k in sorted(value):
            out += schema_problems(value[k], node["values"], f"{path}.{k}")
    elif node["type"] == "object" and "fields" in node:
        fields = node["fields"]
        for name, sub in fields.items():
            if name in value:
                out += schema_problems(value[name], sub, f"{path}.{name}")
            elif not sub.get("optional"):
                out.append(f"{path}.{name}: missing")
        out += [f"{path}.{k}: not a documented field" for k in sorted(set(value) - set(fields))]
    return out


def validate_payload(payload: Any) -> list[str]:
    """Problems of a QRP payload against the documented fields of its ``mime``; [] when valid.

    >>> validate_payload({"mime": "text/plain"})
    ["$.mime: 'text/plain' is not a QRP media type"]
    """
    mime = payload.get("mime") if isinstance(payload, dict) else None
    if mime not in SCHEMAS:
        return [f"$.mime: {mime!r} is not a QRP media type"]
    return schema_problems(payload, SCHEMAS[mime])


# ---------------------------------------------------------------------------------------------
# documentation
# ---------------------------------------------------------------------------------------------

def _type_text(node: dict[str, Any]) -> str:
    t = node["type"]
    text = {"hex64": "string (64 lowercase hex)", "any": "any JSON value",
            "object": "object" if "fields" in node else "object (free-form)"}.get(t, t)
    if t == "array":
        text = f"array of {_type_text(node['items'])}"
    elif t == "map":
        text = f"object: string -> {_type_text(node['values'])}"
    if "enum" in node and len(node["enum"]) == 1:
        text += f" = `{_literal(node['enum'][0])}`"
    elif "enum" in node:
        text += ": " + " \\| ".join(f"`{_literal(v)}`" for v in node["enum"])
    if node.get("nullable"):
        text += " or null"
    return text


def _literal(v: Any) -> str:
    return {True: "true", False: "false"}.get(v, str(v)) if isinstance(v, bool) else str(v)


def schema_rows(node: dict[str, Any], path: str = "") -> list[tuple[str, str, bool, str]]:
    """``(path, type, required, description)`` of every documented field, depth first."""
    rows = []
    fields = node.get("fields") or {}
    for name, sub in fields.items():
        p = f"{path}.{name}" if path else name
        rows.append((p, _type_text(sub), not sub.get("optional"), sub["doc"]))
        target = sub["items"] if sub["type"] == "array" else sub
        rows += schema_rows(target, p + ("[]" if sub["type"] == "array" else ""))
    return rows


def schema_markdown(mime: str) -> str:
    """The field table of one payload type, as ``docs/mime-types.md`` quotes it."""
    lines = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for path, type_text, required, doc in schema_rows(SCHEMAS[mime]):
        lines.append(f"| `{path}` | {type_text} | {'yes' if required else 'no'} | "
                     f"{doc.replace('|', '/')} |")
    return "\n".join(lines)
