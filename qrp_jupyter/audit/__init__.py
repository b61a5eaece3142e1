"""Audit: rebuild and verify the chain of evidence from the database file alone, and check the
QRP outputs saved in a notebook against it."""

from .notebook import (NotebookProblem, NotebookReport, is_progress_line, progress_line_bundle,
                       verify_notebook)
from .trace import AuditStopped, render_trace, trace
from .verify import Problem, VerifyReport, digest_text, ledger_digest, verify

__all__ = ["trace", "render_trace", "AuditStopped", "verify", "ledger_digest", "digest_text", "VerifyReport",
           "Problem", "verify_notebook", "NotebookReport", "NotebookProblem",
           "progress_line_bundle", "is_progress_line"]
