"""Promotion policies as data, and their evaluation: pure functions, no store writes.

A policy is a named, versioned set of rules per level. Each rule compares one metric, taken from
one stored artifact (the report records that artifact's hash), against a threshold. A rule is a
``blocker`` (failing it refuses the promotion) or a ``warning`` (reported, not blocking). A
metric that cannot be computed is ``missing``, which fails closed for blockers.

This module sits below both ``governance`` (which evaluates a candidate and writes the report)
and ``audit`` (which re-derives every stored report from its policy and its cited artifacts),
so the two use one definition of every rule, operator and metric.
"""

from __future__ import annotations

import copy
import operator
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ConfigError
from .identity import hash_payload
from .store import LEVELS

__all__ = ["Policy", "DEFAULT_POLICY", "BUILTIN_POLICIES", "evaluate_rules", "metric_value",
           "OPS", "METRIC_SOURCES", "RULE_FIELDS", "registered_policy_hashes"]

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}

#: Every metric a rule may name, and the artifact kind it is read from.
METRIC_SOURCES = {
    "sharpe_annual": "metrics_table",
    "total_return": "metrics_table",
    "max_drawdown": "metrics_table",
    "n_trades": "metrics_table",
    "reality_check_pvalue": "reality_check",
    "spa_pvalue": "spa",
    "stepm_member": "stepm",
    "pbo": "pbo",
    "hac_tstat": "sharpe_evidence",
    "track_record_sufficient": "sharpe_evidence",
    "deflated_sharpe": "sharpe_evidence",
    "probabilistic_sharpe": "sharpe_evidence",
    "n_trials_family": "sharpe_evidence",
    "oos_sharpe_annual": "walk_forward",
    "fold_causality_valid": "fold_causality",
    "replay_match": "replay_attestation",
}


def _rule(rule: str, metric: str, op: str, threshold: Any, severity: str = "blocker",
          why: str = "") -> dict[str, Any]:
    return {"rule": rule, "metric": metric, "op": op, "threshold": threshold,
            "severity": severity, "why": why}


_CANDIDATE_RULES = [
    _rule("data_snooping", "reality_check_pvalue", "<=", 0.05,
          why="White's Reality Check over the whole grid: the best trial beats zero after "
              "accounting for every trial tried"),
    _rule("spa", "spa_pvalue", "<=", 0.05,
          why="Hansen's SPA consistent p-value (studentized) over the whole grid"),
    _rule("overfitting", "pbo", "<=", 0.5,
          why="probability of backtest overfitting by CSCV: the in-sample best must not "
              "usually land in the bottom half out of sample"),
    _rule("hac_t", "hac_tstat", ">=", 2.0, severity="warning",
          why="Newey-West t-statistic of the trial's mean return"),
    _rule("deflated_sharpe", "deflated_sharpe", ">=", 0.95,
          why="Deflated Sharpe ratio with N from the research family's trial registry"),
    _rule("enough_trades", "n_trades", ">=", 20,
          why="too few position changes make every statistic unreliable"),
    _rule("fold_causality", "fold_causality_valid", "==", True,
          why="walk-forward parameters were chosen on train rows only, purged before test"),
    _rule("positive_sharpe", "sharpe_annual", ">", 0.0),
    _rule("oos_positive", "oos_sharpe_annual", ">", 0.0, severity="warning",
          why="stitched walk-forward out-of-sample Sharpe"),
    _rule("drawdown", "max_drawdown", "<=", 0.5, severity="warning"),
]

_ACCEPTED_RULES = [r for r in _CANDIDATE_RULES
                   if r["rule"] not in ("oos_positive", "overfitting", "hac_t")] + [
    _rule("overfitting", "pbo", "<=", 0.25,
          why="probability of backtest overfitting by CSCV"),
    _rule("hac_t", "hac_tstat", ">=", 2.0,
          why="Newey-West t-statistic of the trial's mean return"),
    _rule("romano_wolf", "stepm_member", "==", True,
          why="the trial is among the models Romano-Wolf StepM finds superior at its FWER"),
    _rule("track_record", "track_record_sufficient", "==", True,
          why="the sample is at least the minimum track record length (Bailey and Lopez de "
              "Prado 2012) for the trial's Sharpe ratio at 95%"),
    _rule("oos_positive", "oos_sharpe_annual", ">", 0.0,
          why="stitched walk-forward out-of-sample Sharpe"),
    _rule("replay", "replay_match", "==", True,
          why="the run re-executed from the database alone gives identical result hashes"),
]


@dataclass(frozen=True)
class Policy:
    """A named, versioned rule set; its identity is the hash of its canonical payload."""

    name: str
    version: int
    levels: dict[str, list[dict[str, Any]]]

    def payload(self) -> dict[str, Any]:
        return {"kind": "qrp_policy", "name": self.name, "version": self.version,
                "levels": copy.deepcopy(self.levels)}

    @property
    def policy_hash(self) -> str:
        return hash_payload(self.payload())

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, where: str = "policy") -> "Policy":
        try:
            pol = cls(name=payload["name"], version=int(payload["version"]),
                      levels=payload["levels"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"policy is missing or mistypes {exc}", where=where,
                              fix="a policy needs name, version (int) and levels") from None
        pol.validate(where=where)
        return pol

    def validate(self, *, where: str = "policy") -> None:
        for level, rules in self.levels.items():
            if level not in LEVELS:
                raise ConfigError(f"policy level {level!r} is not one of {list(LEVELS)}",
                                  where=f"{where}.levels", fix="use candidate or accepted")
            for i, r in enumerate(rules):
                at = f"{where}.levels.{level}[{i}]"
                if r.get("metric") not in METRIC_SOURCES:
                    raise ConfigError(f"unknown metric {r.get('metric')!r}", where=at,
                                      fix=f"use one of {', '.join(sorted(METRIC_SOURCES))}")
                if r.get("op") not in OPS:
                    raise ConfigError(f"unknown operator {r.get('op')!r}", where=at,
                                      fix=f"use one of {' '.join(OPS)}")
                if r.get("severity") not in ("blocker", "warning"):
                    raise ConfigError(f"severity {r.get('severity')!r} is not blocker/warning",
                                      where=at, fix="use blocker or warning")


DEFAULT_POLICY = Policy(name="qrp-default", version=2,
                        levels={"candidate": _CANDIDATE_RULES, "accepted": _ACCEPTED_RULES})



#: Built-in policies by hash: usable without registration, and known to ``verify``.
BUILTIN_POLICIES: dict[str, Policy] = {DEFAULT_POLICY.policy_hash: DEFAULT_POLICY}

#: The fields of a rule that come from the policy (the rest a report adds: value, verdict,
#: artifact_id).
RULE_FIELDS = ("rule", "metric", "op", "threshold", "severity", "why")


def registered_policy_hashes(events: list[dict[str, Any]]) -> set[str]:
    """Hashes of the policies an event chain (payloads, in order) records as registered."""
    return {e.get("policy_hash") for e in events if e.get("kind") == "policy_registered"}


def metric_value(metric: str, doc: dict[str, Any], trial_index: int) -> Any:
    """The value of ``metric`` for trial ``trial_index`` read from the artifact document it is
    taken from (:data:`METRIC_SOURCES` names the artifact kind)."""
    kind = METRIC_SOURCES[metric]
    if kind == "metrics_table":
        return doc["trials"][trial_index].get(metric)
    if kind in ("reality_check", "spa"):
        return doc.get("pvalue")
    if kind == "stepm":
        return trial_index in doc.get("superior", [])
    if kind == "fold_causality":
        return bool(doc.get("valid"))
    if kind == "replay_attestation":
        return bool(doc.get("match"))
    return doc.get(metric)


def evaluate_rules(rules: list[dict[str, Any]],
                   metrics: dict[str, tuple[Any, str | None]]) -> dict[str, Any]:
    """Apply rules to ``metrics`` (metric -> (value, artifact_id)); fail closed on missing."""
    out, blockers, warnings = [], [], []
    for r in rules:
        value, artifact_id = metrics.get(r["metric"], (None, None))
        if value is None:
            verdict = "missing"
        else:
            verdict = "pass" if OPS[r["op"]](value, r["threshold"]) else "fail"
        row = {**r, "value": value, "verdict": verdict, "artifact_id": artifact_id}
        out.append(row)
        if verdict != "pass":
            text = (f"{r['rule']}: {r['metric']} = {_fmt(value)} (needs {r['op']} "
                    f"{_fmt(r['threshold'])})" if verdict == "fail"
                    else f"{r['rule']}: {r['metric']} could not be computed")
            (blockers if r["severity"] == "blocker" else warnings).append(text)
    return {"rules": out, "blockers": blockers, "warnings": warnings,
            "passed": not blockers}


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return repr(v) if not isinstance(v, (int, bool)) else str(v)
