"""The architecture's one-way imports (DESIGN.md section 4), checked by parsing every module.

The core (`fieldapp`) knows nothing of Qt, HTTP or the layers above it; the wire protocol knows
neither end of the wire; the sync client never reaches into the server. Imports are read with
`ast` (relative ones resolved, `importlib.import_module("...")` with a literal name included),
so a comment or a string that mentions a module is never mistaken for an import.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = ("fieldapp", "ui", "sync")
QT = {"PySide6", "shiboken6"}
HTTP_AND_WIRE = {"requests", "httpx", "fastapi", "starlette", "uvicorn", "pydantic"}
RULES: dict[str, set[str]] = {
    "fieldapp": QT | HTTP_AND_WIRE | {"ui", "sync"},
    "sync.protocol": QT | {"ui", "sync.client", "sync.server"},
    "sync.server": QT | {"ui", "sync.client"},  # the server serves the protocol; it never calls a client
    "sync.client": QT | {"ui", "sync.server"},
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path) -> Iterator[tuple[int, str, list[str]]]:
    """Each import statement as (line, module, [module.name for each imported name])."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: max(len(base) - (node.level - 1), 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = [f"{module}.{alias.name}" if module else alias.name for alias in node.names if alias.name != "*"]
            yield node.lineno, module, names
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if called in {"import_module", "__import__"} and isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value, []


def _is_under(module: str, banned: set[str]) -> str | None:
    return next((b for b in banned if module == b or module.startswith(b + ".")), None)


def _modules(root: Path) -> Iterator[tuple[Path, str]]:
    for top in TOP_LEVEL:
        for path in sorted((root / top).rglob("*.py")):
            yield path, _module_name(path, root)


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path, name in _modules(root):
        rules = [(layer, banned) for layer, banned in RULES.items() if name == layer or name.startswith(layer + ".")]
        for line, module, names in sorted(_imports(path, root)):  # every file is parsed, ruled or not
            for layer, banned in rules:
                hits = [module] if _is_under(module, banned) else [n for n in names if _is_under(n, banned)]
                problems += [f"{path.relative_to(root)}:{line} imports {hit} ({layer} must not)" for hit in hits]
    return problems


def test_no_layer_imports_what_design_section_4_forbids() -> None:
    problems = _violations()
    assert not problems, "forbidden imports (DESIGN.md section 4):\n" + "\n".join(problems)


def test_the_checker_reads_every_module_of_every_layer() -> None:
    found = {name.partition(".")[0] for _path, name in _modules(ROOT)}
    assert found == set(TOP_LEVEL)
    assert any(name == "fieldapp.vault" for _path, name in _modules(ROOT))


def test_the_checker_catches_absolute_relative_from_and_dynamic_imports(tmp_path: Path) -> None:
    (tmp_path / "fieldapp" / "inner").mkdir(parents=True)
    (tmp_path / "fieldapp" / "probe.py").write_text(
        "# import requests  (a comment is not an import)\n"
        "from PySide6 import QtCore, QtGui\n"
        "from ..ui import app\n"
        "import requests.adapters as adapters\n"
        "import importlib\n"
        "qt = importlib.import_module('shiboken6')\n"
        "text = 'import fastapi'\n"
        "from . import models\n"
    )
    (tmp_path / "fieldapp" / "inner" / "__init__.py").write_text("from ... import sync\nfrom .. import domain\n")
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "client.py").write_text("from . import protocol, server\nfrom sync.server.app import make\n")
    (tmp_path / "sync" / "protocol.py").write_text("from .client import Engine\nimport pydantic\n")
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "window.py").write_text("from PySide6 import QtWidgets\nfrom sync import client\n")
    assert [p.split(" (")[0] for p in _violations(tmp_path)] == [
        "fieldapp/inner/__init__.py:1 imports sync",
        "fieldapp/probe.py:2 imports PySide6",
        "fieldapp/probe.py:3 imports ui",
        "fieldapp/probe.py:4 imports requests.adapters",
        "fieldapp/probe.py:6 imports shiboken6",
        "sync/client.py:1 imports sync.server",
        "sync/client.py:2 imports sync.server.app",
        "sync/protocol.py:1 imports sync.client",
    ]


@pytest.mark.parametrize("package", TOP_LEVEL)
def test_each_top_level_folder_is_an_importable_package(package: str) -> None:
    # In a fresh interpreter from the checkout, as `python -m ui` runs: inside pytest, tests/ui
    # (a folder of tests) can shadow the package as an empty namespace package.
    probe = f"import {package}, json; print(json.dumps([{package}.__file__, {package}.__doc__]))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    where, doc = json.loads(out)
    assert Path(where or "").resolve() == ROOT / package / "__init__.py"
    assert doc, f"{package}/__init__.py should say in a docstring what the package is"
