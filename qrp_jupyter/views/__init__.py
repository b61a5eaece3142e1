"""Views: QRP results as Jupyter mime bundles (``text/plain``, static ``text/html`` with inline
SVG, and the QRP vendor JSON), built in the core so the kernel layer only displays them.

The JSON formats are documented field by field in ``docs/mime-types.md``; the field lists
live in :mod:`.schema` and are checked by :func:`validate_payload`. Every output is stamped
with what it was rendered from (:mod:`.provenance`), so :func:`verify_notebook` can render a
saved notebook's outputs again from the store and compare them byte for byte.
"""

from ..lineage import (MIME_AUDIT, MIME_CANDIDATES, MIME_EVENT, MIME_LINEAGE, MIME_REPORT,
                       MIME_RUN, MIME_TYPES, MIME_VERIFY, MIME_VERSION, lineage_payload)
from .bundle import (audit_bundle, audit_payload, bundle, lineage_bundle, lineage_text,
                     run_bundle, run_text)
from .governance import candidate_rows, candidates_payload, event_payload, report_payload
from .html import audit_html, lineage_html, run_html
from .listing import (CANDIDATE_COLUMNS, MISSING, RUN_COLUMNS, SHORT_ID, last_reports,
                      listing_bundle, runs_listing)
from .provenance import (PROVENANCE_FIELDS, render_bundle, render_payload, rerender,
                         source_sha256)
from .run import run_payload
from .schema import SCHEMAS, schema_markdown, validate_payload
from .verification import verify_notebook, verify_payload, verify_render

__all__ = [
    "MIME_RUN", "MIME_LINEAGE", "MIME_AUDIT", "MIME_REPORT", "MIME_CANDIDATES", "MIME_VERIFY",
    "MIME_EVENT", "MIME_TYPES", "MIME_VERSION",
    "run_payload", "lineage_payload", "audit_payload", "report_payload", "event_payload",
    "candidates_payload", "candidate_rows",
    "verify_payload", "verify_render",
    "bundle", "run_bundle", "lineage_bundle", "audit_bundle",
    "run_text", "lineage_text", "run_html", "lineage_html", "audit_html",
    "PROVENANCE_FIELDS", "render_bundle", "render_payload", "rerender", "source_sha256",
    "verify_notebook",
    "runs_listing", "last_reports", "listing_bundle", "RUN_COLUMNS", "CANDIDATE_COLUMNS",
    "MISSING", "SHORT_ID",
    "SCHEMAS", "schema_markdown", "validate_payload",
]
