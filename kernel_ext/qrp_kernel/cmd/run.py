"""``%%qrp_run``: the cell body is a TOML run config; execute it into the store.

The magic's options are *bound* into the parsed config (``name``, ``data.dataset``), never pasted
into the TOML text. Line numbers in errors are those of the cell: the magic line is line 1, so
the body is parsed with ``line_offset = 1``.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import usage_error

__all__ = ["CELL", "LINE_OFFSET", "parse_cell", "run_cell"]

#: The source name in error locations: ``<cell>:3 key 'strategy.kind'``.
CELL = "<cell>"
#: The ``%%qrp_run`` line is line 1 of the cell; the body's first line is line 2.
LINE_OFFSET = 1

_KEY_IN_WHERE = re.compile(r"key '([^']+)'$")


def parse_cell(body: str, *, name: str | None = None, dataset: str | None = None):
    """Validate the cell body as a run config, with the magic's overrides bound in.

    Returns a :class:`qrp_jupyter.config.RunConfig` whose locations (``cfg.where``) name the
    lines of the cell. Raises :class:`~qrp_jupyter.errors.ConfigError`.
    """
    from qrp_jupyter.config import RunConfig, parse_config
    from qrp_jupyter.errors import ConfigError

    if name is None and dataset is None:
        return parse_config(body, source=CELL, line_offset=LINE_OFFSET)
    try:
        raw = tomllib.loads(body.removeprefix("\ufeff"))
    except (tomllib.TOMLDecodeError, RecursionError):
        # Let the core report the syntax error (with the cell's line and column) or the too
        # deep nesting as a ConfigError.
        return parse_config(body, source=CELL, line_offset=LINE_OFFSET)
    if name is not None:
        raw["name"] = name
    if dataset is not None and isinstance(raw.setdefault("data", {}), dict):
        raw["data"]["dataset"] = dataset
    # Parsed from the dict, the core can name the key but not its line; put the line back.
    locate = RunConfig(values={}, source=CELL, text=body, line_offset=LINE_OFFSET).where
    try:
        cfg = parse_config(raw, source=CELL)
    except ConfigError as exc:
        m = _KEY_IN_WHERE.search(exc.where or "")
        where = locate(m.group(1)) if m else exc.where
        raise ConfigError(exc.what, where=where, fix=exc.fix) from None
    return dataclasses.replace(cfg, text=body, line_offset=LINE_OFFSET)


def run_cell(magics: Any, args: Any, body: str):
    """Parse, execute and record the cell's run; returns a :class:`~qrp_kernel.RunResult`."""
    from qrp_jupyter.runs import execute_run, resolve_dataset
    from qrp_jupyter.store import open_store

    from ..progress import ProgressLine
    from ..result import RunResult

    if args.out is not None and not args.out.isidentifier():
        raise usage_error("%%qrp_run", f"--out {args.out!r} is not a Python variable name",
                          where="--out", fix="pass a name such as --out res")
    if not body.strip():
        raise usage_error("%%qrp_run", "the cell has no run config", where=CELL,
                          fix="write the run config (TOML, the schema of `qrp run`) below "
                              "the %%qrp_run line")
    cfg = parse_cell(body, name=args.name, dataset=args.dataset)
    db = magics.store_path(args.db)
    with open_store(db, create=False) as store:
        if args.dataset is not None:
            resolve_dataset(store, args.dataset, where="--dataset")
        progress = ProgressLine(f"qrp_run {cfg.name or ''}".strip()) if magics.progress \
            else None
        try:
            outcome = execute_run(store, cfg, namespace=magics.shell.user_ns,
                                  base_dir=Path.cwd(), progress=progress,
                                  memory_budget=args.memory_budget or magics.memory_budget
                                  or None)
        finally:
            if progress is not None:
                progress.close()
    return RunResult(outcome, db=db, max_trials=magics.max_trials,
                     max_points=magics.max_points, cell=lambda: magics.cell_source)
