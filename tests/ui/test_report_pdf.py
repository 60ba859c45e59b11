"""The report as PDF (issue 14) through Qt's own printing, read back as a reader's tool reads it
(pypdf): every statement with its score, numbered paragraphs, the draft line and "Page N of M" on
every page, nothing private, a published report's seal; cancel and a full disk leave nothing
half-written; the command makes one with no display."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdf
import pytest
from report_fixtures import CANARIES, Demo, demo  # noqa: F401
from vault_fixtures import fill_disk, PASSPHRASE

from fieldapp.errors import Cancelled, StorageError
from fieldapp.framework import default_framework
from fieldapp.report.build import build_report
from fieldapp.report.model import CitedRevision, Report, Seal
from fieldapp.report.seal import read_seal
from fieldapp.vault import Vault

from ui.report.pdf import write_pdf

ROOT = Path(__file__).resolve().parents[2]
SHARED_ON = date(2026, 12, 7)


def _pages(path: Path) -> list[str]:
    """Each page's text with its spacing made plain (pypdf sets tabs and line breaks where Qt placed words)."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


def _body(pages: list[str], report: Report) -> str:
    """The document's own text, one page after another, without the footer and draft line each page carries."""
    return " ".join(page[: page.rindex(f"{report.title} Page")] for page in pages)


@pytest.fixture
def draft(vault: Vault, demo: Demo) -> Report:
    return build_report(vault, demo.assessment_id, draft=True, shared_on=SHARED_ON)


def test_a_draft_pdf_has_every_statement_and_score_and_the_draft_line_and_page_numbers_on_every_page(
    qapp, draft: Report, demo: Demo, tmp_path: Path  # noqa: ANN001
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    path = write_pdf(draft, folder / "report.pdf")
    pages = _pages(path)
    assert len(pages) > 1
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page
        assert draft.draft_line in page, n
        assert "DRAFT" in page
    body = _body(pages, draft)
    for statement in default_framework().statements:
        assert re.search(rf"{re.escape(statement.name)} \d+\. Score: {demo.scores[statement.id]} \(", body), statement.name
    numbers = [p.number for p in draft.paragraphs()]
    assert f"1. {draft.paragraphs()[0].text[:40]}" in body and f"{numbers[-1]}. " in body
    for quote in demo.quotes:
        assert f"“{quote}”" in body
    assert "Informed: " in body and "Key evidence Date Kind Evidence category" in body
    meta = pypdf.PdfReader(path).metadata
    assert meta is not None and meta.title == draft.title and meta.creator == "fieldapp"
    assert [p.name for p in folder.iterdir()] == ["report.pdf"]  # no temporary file left beside it


def test_canary_nothing_private_reaches_the_pdf(qapp, draft: Report, tmp_path: Path) -> None:  # noqa: ANN001
    path = write_pdf(draft, tmp_path / "report.pdf")
    text = "\n".join(_pages(path)).lower()
    raw = path.read_bytes().lower()
    assert "person p3" in text  # a cited record's pseudonym is there: the test would see a leak
    for canary in CANARIES:
        assert canary.lower() not in text, canary
        assert canary.lower().encode() not in raw, canary


def test_a_published_pdf_carries_its_seal_and_has_no_draft_line(qapp, vault: Vault, demo: Demo, tmp_path: Path) -> None:  # noqa: ANN001
    seal = Seal("report-1", "revision-1", "2026-12-20", "ab" * 32, (CitedRevision("rev-a", "rec-a", "dev-a", "sig<&>a"),))
    report = replace(build_report(vault, demo.assessment_id, draft=False, shared_on=None), seal=seal)
    path = write_pdf(report, tmp_path / "published.pdf")
    assert read_seal(path) == seal
    pages = _pages(path)
    assert not any("Draft for factual accuracy check" in page or "DRAFT" in page for page in pages)
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_progress_is_told_per_page_and_cancel_after_the_first_page_leaves_nothing(qapp, draft: Report, tmp_path: Path) -> None:  # noqa: ANN001
    told: list[tuple[int, int]] = []
    path = write_pdf(draft, tmp_path / "whole.pdf", progress=lambda done, total: told.append((done, total)))
    total = len(pypdf.PdfReader(path).pages)
    assert told == [(n, total) for n in range(1, total + 1)]
    folder = tmp_path / "cancelled"
    folder.mkdir()
    told.clear()
    with pytest.raises(Cancelled, match="nothing was written"):
        write_pdf(draft, folder / "report.pdf", progress=lambda done, total: told.append((done, total)), cancelled=lambda: bool(told))
    assert told == [(1, total)] and list(folder.iterdir()) == []


def test_a_full_disk_keeps_the_pdf_before_whole_and_leaves_no_temporary_file(qapp, draft: Report, small_disk: Path) -> None:  # noqa: ANN001
    target = small_disk / "report.pdf"
    before = write_pdf(replace(draft, draft=False, draft_line=""), target).read_bytes()
    fill_disk(small_disk)
    with pytest.raises(StorageError, match=r"could not be written to .*report\.pdf: No space left on device"):
        write_pdf(draft, target)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "report.pdf"]
    assert target.read_bytes() == before


def test_a_missing_folder_is_refused_in_words(qapp, draft: Report, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(StorageError, match="does not exist; choose a folder"):
        write_pdf(draft, tmp_path / "nowhere" / "report.pdf")


def test_the_command_makes_a_pdf_draft_with_no_display(vault: Vault, vault_path: Path, demo: Demo, tmp_path: Path) -> None:
    vault.lock()
    out = tmp_path / "draft.pdf"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-m", "fieldapp.report", "build", str(vault_path), demo.assessment_id, "--format", "pdf", "--out", str(out),
         "--draft", "--shared-on", "2026-12-07"],
        input=PASSPHRASE + "\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(out.resolve()) in done.stdout and "plaintext" in done.stdout
    pages = _pages(out)
    assert len(pages) > 1 and all("on 07/12/2026" in page for page in pages)
