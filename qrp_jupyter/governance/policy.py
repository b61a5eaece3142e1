"""Versioned, hashed promotion policies and rule evaluation.

A policy is a named, versioned set of rules per level. Each rule compares one metric, taken from
one stored artifact (the report records that artifact's hash), against a threshold. A rule is a
``blocker`` (failing it refuses the promotion) or a ``warning`` (reported, not blocking). A
metric that cannot be computed is ``missing``, which fails closed for blockers.
"""

from __future__ import annotations

import copy
import json
import operator
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import ConfigError, GovernanceError
from ..identity import canonical_json, hash_payload, now_iso
from ..store import LEVELS, Store, promotion

__all__ = ["Policy", "DEFAULT_POLICY", "register_policy", "load_policy", "evaluate_rules",
           "OPS", "METRIC_SOURCES"]

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


def register_policy(store: Store, policy: Policy) -> str:
    """Store the policy (idempotent) inside the caller's transaction; returns its hash."""
    policy.validate()
    h = policy.policy_hash
    stored = promotion.add_policy(store, policy_hash=h, name=policy.name,
                                  version=policy.version,
                                  payload_json=canonical_json(policy.payload()), at=now_iso())
    if stored != h:
        raise GovernanceError(
            f"policy {policy.name!r} version {policy.version} is already registered with "
            f"different rules (hash {stored[:12]})", where="policies",
            fix="policies are immutable: give the changed policy a new version number")
    return h


def load_policy(store: Store, name: str, version: int | None = None) -> Policy:
    if version is None:
        row = store.one("policies.payload_of_latest", (name,))
    else:
        row = store.one("policies.payload_of_version", (name, version))
    if row is None:
        raise GovernanceError(f"no policy named {name!r}"
                              + (f" version {version}" if version else ""),
                              where="policies", fix="use qrp-default or register the policy")
    return Policy.from_payload(json.loads(row["payload_json"]))


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
