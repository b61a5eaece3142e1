"""Architecture boundaries (DESIGN section 1), pinned by parsing every import of the core.

* ``qrp_jupyter`` never imports IPython, ipywidgets, traitlets or anywidget;
* the one upward reference to ``qrp_kernel`` is the lazy import in ``load_ipython_extension``;
* inside the core: identity <- store <- {audit, lineage} <- governance, engine <- stats <-
  governance, and views on top (like the CLI); lower layers never import higher ones;
* one store layer (DESIGN section 3): outside ``qrp_jupyter/store/`` no module of
  ``qrp_jupyter`` or ``kernel_ext`` imports ``sqlite3``, reaches a connection (``.conn`` /
  ``._conn``) or holds SQL text (a string with ``SELECT``/``INSERT``/``UPDATE``/``DELETE``
  followed by a space, or ``PRAGMA``); docstrings may mention SQL in prose.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "qrp_jupyter"
KERNEL_EXT = Path(__file__).resolve().parents[1] / "kernel_ext"
STORE = PKG / "store"
JUPYTER = {"IPython", "ipywidgets", "traitlets", "anywidget", "ipykernel", "jupyter_client"}

#: module (first component under qrp_jupyter) -> internal modules it must not import.
FORBIDDEN = {
    "identity": {"store", "engine", "stats", "data", "runs", "governance", "audit", "cli",
                 "demo", "config", "lineage", "views", "policies"},
    "store": {"engine", "stats", "data", "runs", "governance", "audit", "cli", "demo",
              "lineage", "views", "policies"},
    # policies (rules as data, pure evaluation) sits under both governance and audit.
    "policies": {"engine", "stats", "data", "runs", "governance", "audit", "cli", "demo",
                 "lineage", "views", "config"},
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
    "review": {"cli", "demo"},  # the review panel's API reads through views, like the CLI
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


# ---------------------------------------------------------------------------------------------
# One store layer: statements reach SQLite only through qrp_jupyter.store
# ---------------------------------------------------------------------------------------------

#: Upper-case SQL verbs as they start a statement (prose says "select", "update" in lower case).
SQL_TEXT = re.compile(r"\b(?:SELECT|INSERT|UPDATE|DELETE) |\bPRAGMA\b")
CONNECTION_ATTRS = {"conn", "_conn"}
OUTSIDE_STORE = [p for p in FILES if STORE not in p.parents] + sorted(KERNEL_EXT.rglob("*.py"))


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _store_bypasses(source: str) -> list[tuple[int, str]]:
    """(line, what) for every way ``source`` reaches SQLite other than through the store."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, f"imports {a.name}") for a in node.names
                    if a.name.split(".")[0] == "sqlite3"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlite3":
            out.append((node.lineno, f"imports from {node.module}"))
        elif isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRS:
            out.append((node.lineno, f"touches a connection (.{node.attr})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docs and SQL_TEXT.search(node.value):
            out.append((node.lineno, f"holds SQL text {node.value.strip()[:40]!r}"))
    return out


def test_there_are_modules_outside_the_store_to_check():
    assert len(OUTSIDE_STORE) > 40
    assert any(KERNEL_EXT in p.parents for p in OUTSIDE_STORE)


@pytest.mark.parametrize("path", OUTSIDE_STORE, ids=lambda p: str(p.relative_to(PKG.parent)))
def test_only_the_store_layer_talks_to_sqlite(path):
    found = _store_bypasses(path.read_text(encoding="utf-8"))
    assert not found, "; ".join(f"{path.relative_to(PKG.parent)}:{line} {what}"
                                for line, what in found) + \
        " -- name the statement in qrp_jupyter/store/statements.py and call the Store"


@pytest.mark.parametrize("source, what", [
    ("import sqlite3\n", "imports sqlite3"),
    ("import sqlite3.dbapi2 as db\n", "imports sqlite3"),
    ("from sqlite3 import connect\n", "imports from sqlite3"),
    ("def f(store):\n    return store.conn\n", "touches a connection (.conn)"),
    ("def f(store):\n    store._conn.execute('x')\n", "touches a connection (._conn)"),
    ("Q = 'SELECT * FROM runs'\n", "holds SQL text"),
    ("def f(t):\n    return f\"DELETE FROM {t}\"\n", "holds SQL text"),
    ("def f(s):\n    return s.one('INSERT INTO runs VALUES (?)')\n", "holds SQL text"),
    ("def f(s):\n    return s.one('UPDATE runs SET name = 1')\n", "holds SQL text"),
    ("Q = 'PRAGMA foreign_keys = OFF'\n", "holds SQL text"),
    ('def f(s):\n    """Never UPDATE a row by hand."""\n    return "update it"\n', None),
    ("def f(store):\n    return store.one('runs.get', ('k',))\n", None),
])
def test_the_store_boundary_checker_catches_each_bypass(source, what):
    found = [w for _, w in _store_bypasses(source)]
    if what is None:
        assert found == []
    else:
        assert any(w.startswith(what) for w in found), found


def test_the_store_package_is_exempt_because_it_holds_the_sql():
    from qrp_jupyter.store import STATEMENTS
    assert len(STATEMENTS) > 60
    assert any(_store_bypasses(p.read_text(encoding="utf-8")) for p in STORE.glob("*.py"))
