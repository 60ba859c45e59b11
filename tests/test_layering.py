"""The architecture's one-way imports (DESIGN.md section 4), checked by parsing every module."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI_AND_HTTP = {"PySide6", "shiboken6", "requests", "httpx", "fastapi", "starlette", "uvicorn", "pydantic"}
RULES = {
    "fieldapp": UI_AND_HTTP | {"ui", "sync"},
    "sync.protocol": {"PySide6", "shiboken6", "ui", "sync.client", "sync.server"},
    "sync.server": {"PySide6", "shiboken6", "ui", "sync.client"},
    "sync.client": {"PySide6", "shiboken6", "ui", "sync.server"},
}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def _forbidden(module: str, banned: set[str]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for top in ("fieldapp", "sync"):
        for path in sorted((root / top).rglob("*.py")):
            name = _module_name(path, root)
            for prefix, banned in RULES.items():
                if name == prefix or name.startswith(prefix + "."):
                    for line, module in _imports(path, root):
                        if _forbidden(module, banned):
                            problems.append(f"{path.relative_to(root)}:{line} imports {module} ({prefix} must not)")
    return problems


def test_the_core_imports_no_qt_no_http_and_neither_ui_nor_sync() -> None:
    assert _violations() == []


def test_the_checker_catches_forbidden_imports_absolute_and_relative(tmp_path: Path) -> None:
    (tmp_path / "fieldapp").mkdir()
    (tmp_path / "fieldapp" / "probe.py").write_text("from PySide6 import QtCore\nfrom ..ui import app\nimport requests\n")
    found = _violations(tmp_path)
    assert [p.split(" (")[0] for p in found] == [
        "fieldapp/probe.py:1 imports PySide6",
        "fieldapp/probe.py:2 imports ui",
        "fieldapp/probe.py:3 imports requests",
    ]


@pytest.mark.parametrize("package", ["fieldapp", "ui", "sync"])
def test_each_top_level_folder_is_an_importable_package(package: str) -> None:
    assert importlib.import_module(package).__doc__
