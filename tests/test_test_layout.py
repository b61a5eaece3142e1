"""The suite collects as one run: no two test modules share an import name.

pytest's default ``prepend`` import mode imports a test file in a folder without
``__init__.py`` under its bare basename, so ``tests/a/test_x.py`` and ``tests/b/test_x.py``
collide, and the whole run stops with "import file mismatch" -- but only when both folders are
collected together, as CI does and a folder-by-folder run does not. This pins the rule for the
whole tree, so the collision is caught by any run that includes this file.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _import_name(path: Path) -> str:
    """The module name pytest's prepend mode gives ``path``: its basename, prefixed by every
    enclosing folder that is a package (has ``__init__.py``)."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def test_no_two_test_modules_share_an_import_name():
    names: dict[str, list[str]] = defaultdict(list)
    for path in sorted(TESTS.rglob("test_*.py")):
        if "node_modules" in path.parts:
            continue
        names[_import_name(path)].append(str(path.relative_to(TESTS)))
    clashes = {name: files for name, files in names.items() if len(files) > 1}
    assert not clashes, (
        f"test modules that pytest would import under one name: {clashes}; "
        "rename one of each group (or make its folder a package with __init__.py)"
    )


def test_the_rule_sees_a_clash(tmp_path):
    """The check itself can fail: two plain folders with one basename give one import name,
    a package folder gives a distinct one."""
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "test_x.py").write_text("")
    (tmp_path / "c" / "__init__.py").write_text("")
    assert _import_name(tmp_path / "a" / "test_x.py") == _import_name(tmp_path / "b" / "test_x.py")
    assert _import_name(tmp_path / "c" / "test_x.py") == "c.test_x"
