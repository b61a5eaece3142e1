"""Saved notebooks built by hand, as Jupyter writes them (imported by the notebook tests).

Each output is made the way the magics make it (:func:`qrp_jupyter.views.render_bundle`, stamped
with the cell's source), then written in nbformat 4 JSON with text split into lines.
"""

from __future__ import annotations

import json

from qrp_jupyter.views import render_bundle


def lines(text: str) -> list[str]:
    """Text as Jupyter saves it: a list of lines, each keeping its newline."""
    return text.splitlines(keepends=True)


def code_cell(source: str, *bundles: dict, n: int = 1) -> dict:
    """A code cell whose outputs are ``bundles`` (display_data, text split into lines)."""
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {k: lines(v) if k.startswith("text/") else v for k, v in b.items()}}
               for b in bundles]
    return {"cell_type": "code", "execution_count": n, "metadata": {}, "source": lines(source),
            "outputs": outputs}


def qrp_cell(store, source: str, mime: str, render: dict, *, n: int = 1) -> dict:
    """A code cell with the one output ``source`` makes: ``mime`` rendered from ``store``."""
    return code_cell(source, render_bundle(store, mime, render, source=source), n=n)


def write(path, cells: list[dict]):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# evidence\n"]}]
          + cells}
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def read(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save(path, nb: dict) -> None:
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def data(nb: dict, cell: int, output: int = 0) -> dict:
    return nb["cells"][cell]["outputs"][output]["data"]
