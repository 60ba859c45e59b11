"""The README's first lines and its Python example stay true."""

from __future__ import annotations

import re
from pathlib import Path

from vault_fixtures import TEST_KDF

from fieldapp.storage import keys

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_opens_with_the_run_and_test_commands() -> None:
    head = README.read_text(encoding="utf-8").split("## ")[0]
    commands = re.findall(r"^bash \S+ \w+", head, flags=re.M)
    assert commands == ["bash packaging/dev.sh app", "bash packaging/dev.sh test"]


def test_the_python_example_runs_as_written(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    text = README.read_text(encoding="utf-8")
    example = text.split("## Using the vault from Python", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    attachment = tmp_path / "agenda.pdf"
    attachment.write_bytes(b"%PDF-1.4 agenda")
    monkeypatch.setattr(keys, "calibrate", lambda *a, **k: TEST_KDF)  # the test skips the 0.5 s calibration
    printed: list[str] = []
    namespace = {"folder": tmp_path / "vault", "attachment_path": attachment, "print": lambda *a: printed.append(" ".join(map(str, a)))}
    exec(compile(example, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert printed[1] == "['ICB board']" and printed[3] == "True"
    namespace["vault"].lock()


def test_the_judgements_example_runs_as_written_after_the_vault_example(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    text = README.read_text(encoding="utf-8")
    section = text.split("## Using the vault from Python", 1)[1].split("\n## ", 1)[0]
    vault_example, judgements_example = (block.split("```", 1)[0] for block in section.split("```python")[1:3])
    attachment = tmp_path / "agenda.pdf"
    attachment.write_bytes(b"%PDF-1.4 agenda")
    monkeypatch.setattr(keys, "calibrate", lambda *a, **k: TEST_KDF)
    printed: list[str] = []
    namespace = {"folder": tmp_path / "vault", "attachment_path": attachment, "print": lambda *a: printed.append(" ".join(map(str, a)))}
    exec(compile(vault_example, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    printed.clear()
    exec(compile(judgements_example, "README.md", "exec"), namespace)  # noqa: S102
    assert printed[:2] == ["63 Good", "62 Requires improvement"]
    assert printed[2] == "[()]"  # one snapshot: nothing before it to change from
    namespace["vault"].lock()
