"""The media types of QRP's rich outputs, named once for every package that reads or writes them.

They live in the lowest package that emits one (lineage), so that :mod:`qrp_jupyter.audit`
(which verifies saved outputs) and :mod:`qrp_jupyter.views` (which builds them) share the same
names without either importing the other. ``docs/mime-types.md`` documents the JSON formats.
"""

from __future__ import annotations

__all__ = ["MIME_RUN", "MIME_LINEAGE", "MIME_AUDIT", "MIME_REPORT", "MIME_CANDIDATES",
           "MIME_VERIFY", "MIME_EVENT", "MIME_TYPES", "MIME_VERSION"]

MIME_RUN = "application/vnd.qrp.run+json"
MIME_LINEAGE = "application/vnd.qrp.lineage+json"
MIME_AUDIT = "application/vnd.qrp.audit+json"
MIME_REPORT = "application/vnd.qrp.report+json"
MIME_CANDIDATES = "application/vnd.qrp.candidates+json"
MIME_VERIFY = "application/vnd.qrp.verify+json"
MIME_EVENT = "application/vnd.qrp.event+json"
#: Every QRP vendor media type, in a fixed order.
MIME_TYPES = (MIME_RUN, MIME_LINEAGE, MIME_AUDIT, MIME_REPORT, MIME_EVENT, MIME_CANDIDATES,
              MIME_VERIFY)
#: ``qrp_mime_version`` of every payload; bumped only for an incompatible format change.
MIME_VERSION = 1
