"""``application/vnd.qrp.verify+json``: a ``verify`` result as a saved output, and the full
check of a saved notebook (ids, provenance, and every output re-rendered from the store).

A verify output records what was verified (``render``: the store and the recorded digests
checked, or the notebook and the SHA-256 of its bytes). Re-rendered as of its recorded ledger
head it gives the same result, so a forged ``OK`` is caught. A notebook's verify result is
re-derived from the notebook it names, looked up beside the notebook being verified and
recognised by its hash; when it is not there (moved, or changed since) the output cannot be
re-derived, which is reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..audit import NotebookReport, verify
from ..audit import verify_notebook as _verify_saved
from ..errors import ConfigError, NotFoundError
from ..identity import sha256_hex
from ..lineage import MIME_VERIFY, MIME_VERSION
from ..store import Store

__all__ = ["verify_render", "verify_payload", "verify_notebook"]


def _notebook_hash(path: Path, where: str) -> str:
    if not path.is_file():
        raise NotFoundError(f"notebook {str(path)!r} does not exist", where=where,
                            fix="pass the path of a saved .ipynb file")
    return sha256_hex(path.read_bytes())


def verify_render(*, target: str, notebook: str | None = None,
                  digests: Sequence[str] = ()) -> dict[str, Any]:
    """The render inputs of a verify output: of the store labelled ``target`` with the
    recorded ``digests``, or (``notebook``) of the saved notebook at that path, by hash."""
    if notebook is None:
        return {"subject": "store", "target": target, "digests": list(digests)}
    return {"subject": "notebook", "target": notebook,
            "notebook_sha256": _notebook_hash(Path(notebook), "--notebook")}


def verify_payload(store: Store, render: dict[str, Any], *,
                   base: Path | None = None) -> dict[str, Any]:
    """JSON for ``application/vnd.qrp.verify+json``: ``verify`` of ``store`` (or of the
    notebook ``render`` names, found under ``base`` when its path is relative) now.

    Raises
    ------
    NotFoundError
        When the notebook is not where ``render`` says, or its bytes changed since.
    """
    subject = render["subject"]
    if subject == "store":
        rep: Any = verify(store, digests=render["digests"])
    elif subject == "notebook":
        rel = Path(render["target"])
        path = rel if rel.is_absolute() or base is None else base / rel
        if _notebook_hash(path, "render.target") != render["notebook_sha256"]:
            raise NotFoundError(f"notebook {render['target']!r} has changed since it was "
                                "verified (its SHA-256 differs)", where=str(path),
                                fix="keep the verified notebook as it was beside this one, "
                                    "or verify it again and save")
        rep = verify_notebook(store, path)
    else:
        raise ConfigError(f"verify subject {subject!r} is not store or notebook",
                          where="render.subject", fix="re-run the cell with this QRP version")
    rep.path = render["target"]
    d = rep.to_dict()
    return {"qrp_mime_version": MIME_VERSION, "mime": MIME_VERIFY, "subject": subject,
            "target": render["target"], "ok": rep.ok, "checked": d["checked"],
            "problems": d["problems"], "text": rep.text()}


def verify_notebook(store: Store, path: str | Path) -> NotebookReport:
    """Check every QRP output of a saved notebook against ``store``: its ids and provenance
    (:func:`qrp_jupyter.audit.verify_notebook`) and its bytes, rendered again from the store as
    of the ledger head it recorded. What ``qrp verify --notebook`` and
    ``%qrp_verify --notebook`` run.

    A notebook that verifies a notebook re-derives that result too; no cycle is possible,
    since each verify output names the other notebook by the hash of its bytes as saved
    before the output existed.
    """
    from .provenance import rerender  # provenance renders verify outputs through this module

    return _verify_saved(store, path, rerender=rerender)
