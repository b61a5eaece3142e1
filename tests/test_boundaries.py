"""Architecture boundaries (DESIGN section 1), pinned by parsing every import of the core.

* ``qrp_jupyter`` never imports IPython, ipywidgets, traitlets or anywidget;
* the one upward reference to ``qrp_kernel`` is the lazy import in ``load_ipython_extension``;
* inside the core: identity <- store <- {audit, lineage} <- governance, engine <- stats <-
  governance, and views on top (like the CLI); lower layers never import higher ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "qrp_jupyter"
JUPYTER = {"IPython", "ipywidgets", "traitlets", "anywidget", "ipykernel", "jupyter_client"}

#: module (first component under qrp_jupyter) -> internal modules it must not import.
FORBIDDEN = {
    "identity": {"store", "engine", "stats", "data", "runs", "governance", "audit", "cli",
                 "demo", "config", "lineage", "views"},
    "store": {"engine", "stats", "data", "runs", "governance", "audit", "cli", "demo",
              "lineage", "views"},
    "engine": {"store", "stats", "runs", "governance", "audit", "cli", "demo", "data",
               "lineage", "views"},
    "stats": {"store", "runs", "governance", "audit", "cli", "demo", "data", "lineage",
              "views"},  # engine <- stats
    "data": {"store", "engine", "stats", "runs", "governance", "audit", "cli", "demo",
             "lineage", "views"},
    # audit may read lineage's media-type names (to verify saved outputs); not the reverse.
    "audit": {"governance", "runs", "engine", "stats", "cli", "demo", "views"},
    "lineage": {"governance", "runs", "engine", "stats", "data", "config", "audit", "cli",
                "demo", "views"},
    "runs": {"governance", "audit", "cli", "demo", "lineage", "views"},
    "config": {"store", "runs", "governance", "audit", "cli", "demo", "lineage", "views"},
    "governance": {"cli", "demo", "views"},
    "views": {"cli", "demo"},  # views sits on top, like the CLI
}


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(absolute module name, line, inside a function) for every import in ``path``."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    pkg_parts = parts if path.name == "__init__.py" else parts[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node: ast.AST, in_func: bool) -> None:
        for child in ast.iter_child_nodes(node):
            f = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, f) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = pkg_parts[: len(pkg_parts) - child.level + 1]
                    mod = ".".join(base + ([child.module] if child.module else []))
                else:
                    mod = child.module or ""
                out.append((mod, child.lineno, f))
                if child.level and not child.module:
                    out.extend((f"{mod}.{a.name}", child.lineno, f) for a in child.names)
            visit(child, f)

    visit(tree, False)
    return out


FILES = sorted(PKG.rglob("*.py"))


def test_the_core_has_modules_to_check():
    assert len(FILES) > 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_core_never_imports_jupyter(path):
    for mod, line, in_func in _imports(path):
        top = mod.split(".")[0]
        assert top not in JUPYTER, f"{path.name}:{line} imports {mod}"
        if top == "qrp_kernel":
            assert path.name == "__init__.py" and path.parent == PKG and in_func, \
                f"{path.name}:{line}: only load_ipython_extension may reach qrp_kernel, lazily"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_layers_point_downward(path):
    rel = path.relative_to(PKG)
    layer = rel.parts[0].removesuffix(".py")
    banned = FORBIDDEN.get(layer, set())
    for mod, line, _ in _imports(path):
        parts = mod.split(".")
        if parts[0] != "qrp_jupyter" or len(parts) < 2:
            continue
        assert parts[1] not in banned, f"{rel}:{line}: layer {layer!r} imports {mod}"


def test_the_checker_catches_a_forbidden_edge(tmp_path, monkeypatch):
    """The parser resolves relative imports: a planted upward import is detected."""
    fake = PKG / "store" / "_boundary_probe.py"
    fake.write_text("from ..governance import promote\n")
    try:
        mods = [m for m, _, _ in _imports(fake)]
        assert "qrp_jupyter.governance" in mods
        with pytest.raises(AssertionError, match="imports qrp_jupyter.governance"):
            test_layers_point_downward(fake)
    finally:
        fake.unlink()
