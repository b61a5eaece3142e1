"""Audit: rebuild and verify the chain of evidence from the database file alone."""

from .trace import render_trace, trace
from .verify import Problem, VerifyReport, verify

__all__ = ["trace", "render_trace", "verify", "VerifyReport", "Problem"]
