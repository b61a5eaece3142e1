"""One error vocabulary for QRP.

Every error a user can cause is a :class:`QrpError` subclass that says *what* was wrong (with the
offending value), *where* (file, line, key, table, row) and *how to fix it*. Only the Jupyter layer
turns these into ``UsageError``; the CLI prints ``str(err)`` and exits with ``err.exit_code``.
"""

from __future__ import annotations

__all__ = [
    "QrpError",
    "ConfigError",
    "BudgetExceeded",
    "DataError",
    "IdentityError",
    "StoreError",
    "NotFoundError",
    "AmbiguousReference",
    "Interrupted",
    "GovernanceError",
    "PromotionRefused",
    "IntegrityProblem",
]


class QrpError(Exception):
    """Base class of every error QRP raises on purpose.

    Parameters
    ----------
    what
        One sentence: what is wrong, quoting the offending value.
    where
        The location: ``file:line``, a config key, a table and row, a column name.
    fix
        What the user should do about it.
    """

    exit_code = 2

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.what]
        if self.where:
            parts.append(f"(at {self.where})")
        text = " ".join(parts)
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class ConfigError(QrpError):
    """A run config or policy is malformed: unknown key, wrong type, out-of-range value."""


class BudgetExceeded(ConfigError):
    """A run (or synthetic dataset) would not fit its memory budget;
    refused before any work, with the estimate and how to shrink it."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None,
                 estimate: object = None, budget: int | None = None):
        self.estimate = estimate
        self.budget = budget
        super().__init__(what, where=where, fix=fix)


class DataError(QrpError):
    """Market data cannot be registered: missing column, NaN, unsorted or duplicate timestamps."""


class IdentityError(QrpError):
    """A value cannot be given a canonical identity (NaN in a config, unsupported type)."""


class StoreError(QrpError):
    """The store refused an operation or is not a QRP store.

    ``rule`` names the database rule that refused a write: a trigger's name (for example
    ``trg_runs_no_update``) or ``sqlite:UNIQUE`` / ``sqlite:FOREIGN KEY`` / ``sqlite:CHECK`` /
    ``sqlite:NOT NULL`` for a plain constraint; ``None`` when no single rule applies.
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None,
                 rule: str | None = None):
        self.rule = rule
        super().__init__(what, where=where, fix=fix)

    def _render(self) -> str:
        if not self.rule:
            return super()._render()
        where = f"{self.where}; rule {self.rule}" if self.where else f"rule {self.rule}"
        text = f"{self.what} (at {where})"
        return text + (f" Fix: {self.fix}" if self.fix else "")


class NotFoundError(StoreError):
    """A named thing (dataset, run, candidate, artifact) is not in the store."""


class AmbiguousReference(NotFoundError):
    """An id prefix (or a name) that matches more than one thing; ``matches`` lists the first
    few full ids, ``count`` how many there are."""

    def __init__(self, what: str, *, matches: list[str], count: int, where: str | None = None,
                 fix: str | None = None):
        self.matches, self.count = list(matches), count
        super().__init__(what, where=where, fix=fix)


class Interrupted(QrpError):
    """The user's code was interrupted (``KeyboardInterrupt``, Ctrl-C); nothing was recorded.
    Exit code 130, as a shell reports a process ended by SIGINT."""

    exit_code = 130


class GovernanceError(QrpError):
    """A governance action is not allowed (illegal transition, unknown level)."""


class PromotionRefused(GovernanceError):
    """The candidate was evaluated and failed its policy; the failing report is attached."""

    exit_code = 3

    def __init__(self, what: str, *, report: dict | None = None, where: str | None = None,
                 fix: str | None = None):
        self.report = report
        super().__init__(what, where=where, fix=fix)


class IntegrityProblem(QrpError):
    """Raised when a stored hash does not match what it should be the hash of."""

    exit_code = 4
