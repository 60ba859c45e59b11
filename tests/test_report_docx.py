"""The assessment report as a Word file (issue 14), from the demo assessment in a real vault: python-docx
opens it again; every statement's score and every numbered paragraph are in it, numbers as issued; a
draft carries its line and a DRAFT watermark on every page, a published report its seal; hostile text
stays literal; nothing private reaches any part of the package; a full disk keeps the file before."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from report_fixtures import CANARIES, Demo, demo  # noqa: F401
from vault_fixtures import fill_disk, PASSPHRASE

from fieldapp.errors import StorageError, ValidationError
from fieldapp.framework import default_framework
from fieldapp.report.build import build_report
from fieldapp.report.docx import DRAFT_MARK, NUMBERED_STYLE, render_docx, write_docx
from fieldapp.report.formats import writer_for
from fieldapp.report.model import CitedRevision, Figure, Paragraph, Quotation, Report, Seal, Section, Table
from fieldapp.report.seal import DOCX_PART, read_seal
from fieldapp.vault import Vault

ROOT = Path(__file__).resolve().parents[1]
WATERMARK = f'string="{DRAFT_MARK}"'.encode()


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def _paragraph_texts(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_the_demo_renders_every_statement_its_score_and_the_numbered_paragraphs_as_issued(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    path = writer_for("docx")(report, tmp_path / "report.docx")
    document = docx.Document(str(path))
    paragraphs = document.paragraphs
    assert paragraphs[0].text == report.title and paragraphs[0].style.name == "Title"
    cover = document.tables[0]
    assert [(row.cells[0].text, row.cells[1].text) for row in cover.rows] == list(report.cover)
    for statement in default_framework().statements:
        at = next(i for i, p in enumerate(paragraphs) if p.text == statement.name and p.style.name == "Heading 2")
        assert re.fullmatch(rf"\d+\.\tScore: {demo.scores[statement.id]} \(.*", paragraphs[at + 1].text), statement.name
    numbered = [p.text for p in paragraphs if p.style.name == NUMBERED_STYLE]
    assert numbered == [f"{p.number}.\t{p.text}" for p in report.paragraphs()]  # every one, in order, its number visible
    assert [int(text.split(".", 1)[0]) for text in numbered] == list(range(1, len(numbered) + 1))
    level_one = [s.heading for s in report.sections if s.level == 1]
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == level_one
    quoted = [p.text for p in paragraphs if p.style.name == "Quote"]
    for quote in demo.quotes:
        assert f"“{quote}”" in quoted
    assert "— Person P0, person who uses services\nInformed: " + default_framework().statements[0].name in quoted
    tables = {tuple(c.text for c in t.rows[0].cells): t for t in document.tables[1:]}
    assert all(t.rows[0]._tr.trPr is not None for t in tables.values())  # a header row repeated on each page
    cited = [row.cells[0].text for t in document.tables[1:] if t.rows[0].cells[0].text == "Key evidence" for row in t.rows[1:]]
    assert sorted(cited) == sorted(demo.key_titles)
    history = tables[("Date", "Score", "Rating", "Review")]
    figure = next(b for s in report.sections for b in s.blocks if isinstance(b, Figure))
    assert [row.cells[3].text for row in history.rows[1:]] == ["Published", "Review, score unchanged"]
    assert [row.cells[1].text for row in history.rows[1:]] == [str(p.score) for p in figure.points]
    assert figure.caption in _paragraph_texts(document)
    properties = document.core_properties
    assert (properties.title, properties.author, properties.language, properties.created) == (report.title, "fieldapp", "en-GB", None)
    assert render_docx(report) == path.read_bytes()  # the same report, the same bytes


def test_a_draft_carries_its_line_and_the_watermark_on_every_page_and_a_final_report_neither(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    draft = build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7))
    document = docx.Document(str(write_docx(draft, tmp_path / "draft.docx")))
    assert document.sections and not document.settings.odd_and_even_pages_header_footer
    for section in document.sections:
        assert not section.different_first_page_header_footer and not section.header.is_linked_to_previous
        assert draft.draft_line in section.header.paragraphs[0].text
        assert WATERMARK in section.header._element.xml.encode()
    headers = [data for name, data in _entries(tmp_path / "draft.docx").items() if name.startswith("word/header")]
    assert headers and all(WATERMARK in data and "on 07/12/2026".encode() in data for data in headers)
    final = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    for data in _entries(write_docx(final, tmp_path / "final.docx")).values():
        assert b"Draft for factual accuracy check" not in data and WATERMARK not in data


def test_canary_nothing_private_reaches_any_part_of_the_word_file(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7))
    folder = tmp_path / "out"
    folder.mkdir()
    entries = _entries(write_docx(report, folder / "report.docx"))
    for name, data in entries.items():
        for canary in CANARIES:
            assert canary.lower().encode() not in data.lower(), (canary, name)
    assert b"Person P3" in entries["word/document.xml"]  # a cited record's pseudonym is there: the test would see a leak
    assert [p.name for p in folder.iterdir()] == ["report.docx"]  # nothing left beside it


def test_a_published_reports_seal_is_the_package_part_the_verifier_reads_back(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    manifest = (CitedRevision("rev-1", "rec-1", "dev-1", "c2lnbmF0dXJl"), CitedRevision("rev-2", "rec-2", "dev-1", "<&>"))
    seal = Seal("report-1", "rev-9", "2026-12-14", "ab" * 32, manifest)
    path = write_docx(dataclasses.replace(report, seal=seal), tmp_path / "published.docx")
    assert read_seal(path) == seal
    assert DOCX_PART == "fieldapp/seal.json" and DOCX_PART in _entries(path)
    assert b'PartName="/fieldapp/seal.json" ContentType="application/json"' in _entries(path)["[Content_Types].xml"]
    document = docx.Document(str(path))  # still a package Word's reader takes
    assert document.paragraphs[0].text == report.title
    assert document.core_properties.created is not None and document.core_properties.created.date() == date(2026, 12, 14)
    draft = write_docx(build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7)), tmp_path / "draft.docx")
    with pytest.raises(ValidationError, match="carries no seal"):
        read_seal(draft)


def test_hostile_text_renders_and_stays_literal(tmp_path: Path) -> None:
    controls = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))) + "\ud800\udfff"
    markup = '</w:t></w:r><w:r><w:t>injected</w:t></w:r> <script>alert("x")</script> & ]]>'
    long_text = "Very long finding. " * 20_000
    report = Report(
        title=f"Hostile {controls} <w:t> " + "title " * 100,
        cover=(("Team", markup), (controls, "value")),
        sections=(Section(markup, (
            Paragraph(1, f"Before{controls}after {markup}"),
            Paragraph(None, long_text),
            Quotation(markup, f"Who {controls}", (markup,)),
            Table((markup, controls), ((markup, f"a{controls}b"),)),
        )),),  # fmt: skip
        draft=True,
        draft_line=f"Draft {markup}",
    )
    path = write_docx(report, tmp_path / "hostile.docx")
    document = docx.Document(str(path))
    texts = _paragraph_texts(document)
    replaced = "\ufffd" * (len(controls))
    assert f"1.\tBefore{replaced}after {markup}" in texts
    assert long_text in texts and markup in texts
    assert f"“{markup}”" in texts
    assert document.tables[0].rows[0].cells[1].text == markup and document.tables[1].rows[1].cells[1].text == f"a{replaced}b"
    assert f"Draft {markup}" in document.sections[0].header.paragraphs[0].text
    assert document.core_properties.title.startswith(f"Hostile {replaced} <w:t> ")
    assert b"injected</w:t>" not in _entries(path)["word/document.xml"]


def test_a_failed_write_leaves_nothing_and_says_so(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "report.docx").mkdir()  # the target cannot be replaced by a file
    with pytest.raises(StorageError, match="could not be written"):
        write_docx(report, folder / "report.docx")
    assert [p.name for p in folder.iterdir()] == ["report.docx"] and (folder / "report.docx").is_dir()
    with pytest.raises(StorageError, match="does not exist"):
        write_docx(report, tmp_path / "nowhere" / "report.docx")


def test_a_full_disk_keeps_the_word_file_before_whole_and_leaves_nothing_half_written(vault: Vault, demo: Demo, small_disk: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    target = small_disk / "report.docx"
    before = write_docx(report, target).read_bytes()
    fill_disk(small_disk)
    with pytest.raises(StorageError, match="could not be written.*No space left"):
        write_docx(build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7)), target)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "report.docx"]
    assert target.read_bytes() == before


def test_the_command_writes_a_word_draft_and_says_where(vault: Vault, vault_path: Path, demo: Demo, tmp_path: Path) -> None:
    vault.lock()
    out = tmp_path / "draft.docx"
    done = subprocess.run(
        [sys.executable, "-m", "fieldapp.report", "build", str(vault_path), demo.assessment_id, "--format", "docx", "--out", str(out),
         "--draft", "--shared-on", "2026-12-07"],
        input=PASSPHRASE + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(out.resolve()) in done.stdout and "plaintext" in done.stdout
    document = docx.Document(str(out))
    assert "on 07/12/2026" in document.sections[0].header.paragraphs[0].text
    assert any(p.style.name == NUMBERED_STYLE for p in document.paragraphs)
