"""Views: QRP results as Jupyter mime bundles (``text/plain``, static ``text/html`` with inline
SVG, and the QRP vendor JSON), built in the core so the kernel layer only displays them.

The three JSON formats are documented field by field in ``docs/mime-types.md``; the field lists
live in :mod:`.schema` and are checked by :func:`validate_payload`.
"""

from ..lineage import (MIME_AUDIT, MIME_LINEAGE, MIME_RUN, MIME_TYPES, MIME_VERSION,
                       lineage_payload)
from .bundle import (audit_bundle, audit_payload, bundle, lineage_bundle, lineage_text,
                     run_bundle, run_text)
from .html import audit_html, lineage_html, run_html
from .run import run_payload
from .schema import SCHEMAS, schema_markdown, validate_payload

__all__ = [
    "MIME_RUN", "MIME_LINEAGE", "MIME_AUDIT", "MIME_TYPES", "MIME_VERSION",
    "run_payload", "lineage_payload", "audit_payload",
    "bundle", "run_bundle", "lineage_bundle", "audit_bundle",
    "run_text", "lineage_text", "run_html", "lineage_html", "audit_html",
    "SCHEMAS", "schema_markdown", "validate_payload",
]
