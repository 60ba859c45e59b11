"""The architecture's one-way imports (DESIGN.md section 4), checked by parsing every module.

The core (`fieldapp`) knows nothing of Qt, HTTP or the layers above it; the wire protocol knows
neither end of the wire; the sync client never reaches into the server. Inside the core, storage
and revisions are the ground floor, the areas stand on them, replication on the areas, and the
vault on everything; and no modules anywhere import each other in a circle, not even for typing
(an import under `TYPE_CHECKING` counts like any other). Imports are read with
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
    # The areas of the core (records, links, search, ...) are given a context, never the vault, and
    # know nothing of replication, which builds on them.
    "fieldapp.replication": {"fieldapp.vault"},
}
_AREA_BANS = {"fieldapp.vault", "fieldapp.replication"}
# The ground floor of the core may use nothing of it beyond these.
ONLY_WITHIN_CORE: dict[str, set[str]] = {
    "fieldapp.storage": {"fieldapp.storage", "fieldapp.errors", "fieldapp.sizes", "fieldapp.ids"},
    "fieldapp.revisions": {"fieldapp.revisions", "fieldapp.errors", "fieldapp.domain"},
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


def _rules_for(name: str) -> list[tuple[str, set[str]]]:
    rules = [(layer, banned) for layer, banned in RULES.items() if name == layer or name.startswith(layer + ".")]
    if name.count(".") == 1 and name.startswith("fieldapp.") and name != "fieldapp.vault":
        rules.append(("an area of fieldapp", _AREA_BANS))
    return rules


def _outside(module: str, allowed: set[str]) -> bool:
    return module.startswith("fieldapp.") and _is_under(module, allowed) is None


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path, name in _modules(root):
        rules = _rules_for(name)
        only = [(room, allowed) for room, allowed in ONLY_WITHIN_CORE.items() if _is_under(name, {room})]
        for line, module, names in sorted(_imports(path, root)):  # every file is parsed, ruled or not
            for layer, banned in rules:
                hits = [module] if _is_under(module, banned) else [n for n in names if _is_under(n, banned)]
                problems += [f"{path.relative_to(root)}:{line} imports {hit} ({layer} must not)" for hit in hits]
            for room, allowed in only:
                hits = [n for n in (names or [module]) if _outside(n, allowed)]
                problems += [f"{path.relative_to(root)}:{line} imports {hit} ({room} uses only {', '.join(sorted(allowed))})" for hit in hits]
    return problems


def _import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the project's modules it imports (a name imported from a package counts as its
    module when it is one, else as the package)."""
    known = {name for _path, name in _modules(root)}
    graph: dict[str, set[str]] = {}
    for path, name in _modules(root):
        targets = graph.setdefault(name, set())
        for _line, module, names in _imports(path, root):
            hits = [n for n in names if n in known] or ([module] if module in known else [])
            targets.update(hit for hit in hits if hit != name)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_layer_imports_what_design_section_4_forbids() -> None:
    problems = _violations()
    assert not problems, "forbidden imports (DESIGN.md section 4):\n" + "\n".join(problems)


def test_no_modules_import_each_other_in_a_circle_not_even_for_typing() -> None:
    circles = _circles(_import_graph())
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_the_circle_finder_sees_a_circle_made_only_of_typing_imports(tmp_path: Path) -> None:
    (tmp_path / "fieldapp").mkdir()
    (tmp_path / "fieldapp" / "a.py").write_text("from fieldapp import b\n")
    (tmp_path / "fieldapp" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fieldapp.a import A\n")
    (tmp_path / "fieldapp" / "c.py").write_text("from fieldapp import a\n")
    for top in ("ui", "sync"):
        (tmp_path / top).mkdir()
    assert _circles(_import_graph(tmp_path)) == [["fieldapp.a", "fieldapp.b"]]


def test_the_core_rooms_stand_on_each_other_one_way(tmp_path: Path) -> None:
    (tmp_path / "fieldapp" / "storage").mkdir(parents=True)
    (tmp_path / "fieldapp" / "revisions").mkdir()
    (tmp_path / "fieldapp" / "replication").mkdir()
    (tmp_path / "fieldapp" / "storage" / "keys.py").write_text("from fieldapp import errors\nfrom fieldapp.revisions import revision\n")
    (tmp_path / "fieldapp" / "revisions" / "merge.py").write_text("from fieldapp import domain, records\n")
    (tmp_path / "fieldapp" / "records.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fieldapp.vault import Vault\n")
    (tmp_path / "fieldapp" / "links.py").write_text("from fieldapp.replication import settle\nfrom fieldapp import records\n")
    (tmp_path / "fieldapp" / "replication" / "settle.py").write_text("from fieldapp.vault import Vault\nfrom fieldapp import records\n")
    for top in ("ui", "sync"):
        (tmp_path / top).mkdir()
    assert [p.split(" (")[0] for p in _violations(tmp_path)] == [
        "fieldapp/links.py:1 imports fieldapp.replication",
        "fieldapp/records.py:3 imports fieldapp.vault",
        "fieldapp/replication/settle.py:1 imports fieldapp.vault",
        "fieldapp/revisions/merge.py:1 imports fieldapp.records",
        "fieldapp/storage/keys.py:2 imports fieldapp.revisions.revision",
    ]


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
