"""qrp_kernel uses only the public names of qrp_jupyter (parsed imports, not conventions)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import qrp_kernel

PACKAGE = Path(qrp_kernel.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def core_imports(path: Path) -> list[tuple[int, str, str | None]]:
    """``(line, module, name)`` of every import of qrp_jupyter in ``path`` (name None for
    ``import qrp_jupyter.x``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names
                    if a.name.split(".")[0] == "qrp_jupyter"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] == "qrp_jupyter":
            out += [(node.lineno, node.module, a.name) for a in node.names]
    return out


def boundary_problems(imports: list[tuple[int, str, str | None]]) -> list[str]:
    problems = []
    for line, module, name in imports:
        parts = module.split(".")
        if any(p.startswith("_") for p in parts[1:]) or (name or "").startswith("_"):
            problems.append(f"line {line}: {module}.{name or ''} is private")
        elif len(parts) > 2:
            problems.append(f"line {line}: {module} is below the package level; import from "
                            f"{'.'.join(parts[:2])}")
        elif name is not None and len(parts) == 2:
            public = getattr(importlib.import_module(module), "__all__", ())
            if name not in public:
                problems.append(f"line {line}: {module}.{name} is not in {module}.__all__")
    return problems


def test_the_checker_catches_each_kind_of_violation():
    bad = [(1, "qrp_jupyter.runs._private", "x"), (2, "qrp_jupyter.runs.execute", "prepare_run"),
           (3, "qrp_jupyter.store", "_compress"), (4, "qrp_jupyter._numba", "jit"),
           (5, "qrp_jupyter.store", "not_a_public_name"), (6, "qrp_jupyter.store.db", None)]
    assert len(boundary_problems(bad)) == len(bad)
    assert boundary_problems([(1, "qrp_jupyter.store", "open_store"),
                              (2, "qrp_jupyter.errors", "QrpError")]) == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_qrp_kernel_imports_only_public_core_names(path):
    assert boundary_problems(core_imports(path)) == []


def test_the_core_never_imports_the_jupyter_layer():
    core = Path(importlib.import_module("qrp_jupyter").__file__).parent
    banned = {"IPython", "ipywidgets", "anywidget", "traitlets", "ipykernel", "qrp_kernel"}
    found = []
    for path in core.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in banned]
    assert found == []
