"""The assessment report (issue 14, first increment) from a real vault: a demo assessment of 17
scored statements and a few dozen records builds into one report value and one self-contained HTML
file; paragraphs are numbered; a draft says so; a conflict refuses it; and nothing private (untagged
notes, attachments, pseudonyms of records not cited, names in other fields) reaches either."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from datetime import date
from html import escape
from pathlib import Path

import pytest
from sqlalchemy import text
from report_fixtures import CANARIES, PEOPLE, STAFF, Demo, demo  # noqa: F401
from vault_fixtures import fill_disk, PASSPHRASE

from fieldapp import domain
from fieldapp.errors import StorageError, UnresolvedConflict, ValidationError
from fieldapp.framework import default_framework
from fieldapp.judgements import judgement_id, rating_id
from fieldapp.links import passage_of
from fieldapp.item_kinds import FacResponseContent
from fieldapp.report.build import build_report, share_draft
from fieldapp.report.html import render_html, write_html
from fieldapp.report.model import Figure, Quotation, Report
from fieldapp.vault import Vault

ROOT = Path(__file__).resolve().parents[1]
def _statement_scores_in(html: str, name: str) -> str:
    start = html.index(f"<h3>{escape(name)}</h3>")
    return html[start: html.index("<h", start + 4)]


def test_a_demo_assessment_builds_with_every_statement_its_score_and_its_cover(vault: Vault, demo: Demo) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    html = render_html(report)
    framework = default_framework()
    assert len(framework.statements) == 17 and len(vault.records.list(demo.assessment_id)) >= 36
    for statement in framework.statements:
        assert re.search(rf"Score: {demo.scores[statement.id]} \(", _statement_scores_in(html, statement.name)), statement.name
    cover = dict(report.cover)
    assert cover["Assessment period"] == "01/11/2026 to 30/11/2026"
    assert cover["Team"] == "Amara Okafor, Ben Hughes"
    assert cover["Framework"] == "Assessment of integrated care systems (interim), version 2024.1"
    assert cover["Scoring rules"] == "By evidence category (interim ICS guidance), version 1"  # in words, not the vault's keys
    assert cover["Evidence last assessed"] == "26/11/2026"  # the latest evidence date among the scores
    assert cover["Ratings last updated"] == report.cover[-1][1] != "not yet published"
    assert "Northshire &amp; &lt;Coast&gt; ICS" in html and "<Coast>" not in html  # text from people is escaped
    assert "Shared records &lt;work&gt;" in html
    assert report.paragraphs()[0].text.endswith(vault.judgements.rules(demo.assessment_id).notice)  # the interim status, in the rules' words
    # key evidence: the cited record's title, date, kind and category (the focus groups are tagged, not cited)
    people_name = framework.category(PEOPLE).name
    assert "Staff group" not in html
    for title in demo.key_titles:
        assert f"<td>{title}</td><td>20/11/2026</td><td>Interview</td><td>{escape(people_name)}</td>" in html


def test_peoples_experiences_quote_only_tagged_passages_under_pseudonym_and_role_with_what_they_informed(vault: Vault, demo: Demo) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    people = next(s for s in report.sections if s.heading == "People's experiences")
    quotations = [b for b in people.blocks if isinstance(b, Quotation)]
    assert sorted(q.text for q in quotations) == sorted(demo.quotes)
    first = next(q for q in quotations if q.text == demo.quotes[0])
    assert first.who == "Person P0, person who uses services"
    assert first.informs == (default_framework().statements[0].name,)
    assert next(q for q in quotations if q.text == demo.quotes[1]).who == "Person P1, carer, family member or advocate"


def test_paragraphs_are_numbered_one_after_another_and_the_history_marks_reviews(vault: Vault, demo: Demo) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    numbers = [p.number for p in report.paragraphs()]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) > 17 * 3
    html = render_html(report)
    assert '<p class="numbered" id="p1"><span class="n">1.</span>' in html and f'id="p{numbers[-1]}"' in html
    figure = next(b for s in report.sections for b in s.blocks if isinstance(b, Figure))
    assert [p.review for p in figure.points] == [False, True]
    assert "<svg" in html and "Review, score unchanged" in html


def test_the_draft_line_and_watermark_are_in_a_draft_only(vault: Vault, demo: Demo) -> None:
    line = "Draft for factual accuracy check — shared with the Integrated Care Board and the Integrated Care Partnership on 07/12/2026"
    draft = build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7))
    final = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    assert draft.draft_line == line and line in render_html(draft) and 'class="watermark"' in render_html(draft)
    assert "Draft for factual accuracy check" not in render_html(final) and 'class="watermark"' not in render_html(final)
    with pytest.raises(ValidationError, match="when it is shared"):
        build_report(vault, demo.assessment_id, draft=True, shared_on=None)


def test_the_overall_rating_shows_the_computed_one_beside_a_final_one_with_the_reason(vault: Vault, demo: Demo) -> None:
    computed = vault.judgements.rating(demo.assessment_id).computed_score
    assert computed is not None
    vault.judgements.set_final(demo.assessment_id, 1 if computed != 1 else 2, "Serious safeguarding risk found in the east locality")
    html = render_html(build_report(vault, demo.assessment_id, draft=False, shared_on=None))
    assert "because: Serious safeguarding risk found in the east locality" in html


@pytest.mark.parametrize("item", ["judgement", "rating"])
def test_a_report_is_refused_while_a_judgement_or_the_rating_is_in_conflict_saying_which(vault: Vault, demo: Demo, item: str) -> None:
    statement = default_framework().statements[2]
    item_id = judgement_id(demo.assessment_id, statement.id) if item == "judgement" else rating_id(demo.assessment_id)
    if item == "rating":
        vault.judgements.set_final(demo.assessment_id, None, "")  # the rating item exists
    with vault.transaction("marking a conflict, as a sync that found one does") as session:
        session.execute(text("UPDATE records SET sync_state = 'conflict' WHERE id = :id"), {"id": item_id})
    words = f"‘{statement.name}’" if item == "judgement" else "the assessment's rating"
    with pytest.raises(UnresolvedConflict, match=words):
        build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7))


def _all_text(report: Report) -> str:
    return "\n".join(report.texts())


def test_canary_nothing_private_reaches_the_report_value_or_the_html(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7))
    folder = tmp_path / "out"
    folder.mkdir()
    written = write_html(report, folder / "report.html").read_text(encoding="utf-8")
    for canary in CANARIES:
        assert canary.lower() not in _all_text(report).lower(), canary
        assert canary.lower() not in written.lower(), canary
    assert "Person P3" in written  # a cited record's pseudonym is there: the test would see a leak
    assert not re.search(r"(src|href)\s*=|https?://|@import|url\(", written)  # self-contained: no link out
    assert [p.name for p in folder.iterdir()] == ["report.html"]  # nothing left beside it


def test_canary_still_holds_with_the_teams_texts_a_shared_draft_and_responses(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    aid = demo.assessment_id
    theme = default_framework().themes[0].id
    vault.report_texts.save_texts(aid, dataclasses.replace(
        vault.report_texts.texts(aid).content, summary="A large ICS.", progress="Better.", strengths={theme: "Leaders listen."},
    ))  # fmt: skip
    _draft, shared = share_draft(vault, aid, date(2026, 12, 7))
    vault.report_texts.record_response(aid, FacResponseContent(shared.id, 2, "icb", "Larger than that.", decision="accepted", change="Now says so."))
    vault.report_texts.save_texts(aid, dataclasses.replace(vault.report_texts.texts(aid).content, summary="A larger ICS."))
    report = build_report(vault, aid, draft=False, shared_on=None)
    written = write_html(report, tmp_path / "report.html").read_text(encoding="utf-8")
    assert report.sections[-1].heading == "Factual accuracy check" and "A larger ICS." in written and "Person P3" in written
    for canary in CANARIES:
        assert canary.lower() not in _all_text(report).lower(), canary
        assert canary.lower() not in written.lower(), canary


def test_every_paragraph_has_its_own_key_and_keys_stay_when_a_statements_lines_change(vault: Vault, demo: Demo) -> None:
    before = build_report(vault, demo.assessment_id, draft=False, shared_on=None).paragraphs()
    assert all(p.key for p in before) and len({p.key for p in before}) == len(before)
    statement = default_framework().statements[0]
    current = vault.judgements.get(demo.assessment_id, statement.id).content
    vault.judgements.save(demo.assessment_id, statement.id, dataclasses.replace(current, strengths=current.strengths + "\nA third strength"))
    after = build_report(vault, demo.assessment_id, draft=False, shared_on=None).paragraphs()
    added = {p.key for p in after} - {p.key for p in before}
    assert added == {f"statement:{statement.id}:strength:3", f"theme:{statement.theme_id}:strengths:{statement.id}:3"}
    assert {p.key: p.text for p in before}.items() <= {p.key: p.text for p in after}.items()  # every other paragraph reads as before


def test_a_failed_write_leaves_nothing_and_says_so(vault: Vault, demo: Demo, tmp_path: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "report.html").mkdir()  # the target cannot be replaced by a file
    with pytest.raises(StorageError, match="could not be written"):
        write_html(report, folder / "report.html")
    assert [p.name for p in folder.iterdir()] == ["report.html"] and (folder / "report.html").is_dir()


def _cli(*args: str, stdin: str = PASSPHRASE + "\n") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fieldapp.report", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_command_builds_an_html_draft_says_where_and_refuses_a_wrong_passphrase_or_format(vault: Vault, vault_path: Path, demo: Demo, tmp_path: Path) -> None:
    vault.lock()
    out = tmp_path / "draft.html"
    done = _cli("build", str(vault_path), demo.assessment_id, "--format", "html", "--out", str(out), "--draft", "--shared-on", "2026-12-07")
    assert done.returncode == 0, done.stderr
    assert str(out.resolve()) in done.stdout and "plaintext" in done.stdout
    assert "on 07/12/2026" in out.read_text(encoding="utf-8")
    unknown = _cli("build", str(vault_path), demo.assessment_id, "--format", "odt", "--out", str(tmp_path / "r.odt"))
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr and not (tmp_path / "r.odt").exists()
    wrong = _cli("build", str(vault_path), demo.assessment_id, "--out", str(tmp_path / "w.html"), stdin="not the passphrase\n")
    assert wrong.returncode == 1 and "Not written" in wrong.stderr and not (tmp_path / "w.html").exists()


def test_the_command_shares_a_draft_only_when_asked_and_the_vault_records_it(vault: Vault, vault_path: Path, demo: Demo, tmp_path: Path) -> None:
    vault.lock()
    preview = _cli("build", str(vault_path), demo.assessment_id, "--out", str(tmp_path / "preview.docx"), "--format", "docx", "--draft")
    assert preview.returncode == 0, preview.stderr
    lonely = _cli("build", str(vault_path), demo.assessment_id, "--out", str(tmp_path / "x.html"), "--share")
    assert lonely.returncode == 2 and "give --draft too" in lonely.stderr and not (tmp_path / "x.html").exists()
    shared = _cli("build", str(vault_path), demo.assessment_id, "--out", str(tmp_path / "shared.html"), "--draft", "--share", "--shared-on", "2026-12-07")
    assert shared.returncode == 0, shared.stderr
    reopened = Vault.open(vault_path, passphrase=PASSPHRASE)
    try:
        drafts = reopened.report_texts.drafts(demo.assessment_id)
        assert [d.shared_on for d in drafts] == ["2026-12-07"]  # the preview was not recorded; the shared one was
        numbered = re.findall(r'<p class="numbered" id="p(\d+)">', (tmp_path / "shared.html").read_text(encoding="utf-8"))
        assert [p.number for p in drafts[0].paragraphs] == [int(n) for n in numbered]
    finally:
        reopened.lock()


def test_a_full_disk_keeps_the_report_before_whole_and_leaves_nothing_half_written(vault: Vault, demo: Demo, small_disk: Path) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    target = small_disk / "report.html"
    before = write_html(report, target).read_bytes()
    fill_disk(small_disk)
    with pytest.raises(StorageError, match="could not be written"):
        write_html(build_report(vault, demo.assessment_id, draft=True, shared_on=date(2026, 12, 7)), target)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "report.html"]
    assert target.read_bytes() == before


def test_an_assessment_with_nothing_scored_yet_builds_and_says_what_is_missing(vault: Vault, assessment_id: str) -> None:
    report = build_report(vault, assessment_id, draft=False, shared_on=None)
    html = render_html(report)
    cover = dict(report.cover)
    assert (cover["Team"], cover["Evidence last assessed"], cover["Ratings last updated"]) == ("not recorded", "not recorded", "not yet published")
    assert html.count("Score: not scored.") == 17
    assert "there is no overall rating" in html and "No rating has been published yet" in html
    assert "No passages were tagged as people&#x27;s experience" in html
    assert [p.number for p in report.paragraphs()] == list(range(1, len(report.paragraphs()) + 1))


def test_a_hostile_pseudonym_and_passage_are_escaped_never_markup(vault: Vault, assessment_id: str) -> None:
    statement = default_framework().statements[0]
    notes = "Said: <script>alert('passage')</script> & left."
    record = vault.records.create(assessment_id, domain.Interview(title="<b>Interview</b>", pseudonym='<img src=x onerror="alert(1)">',
                                                                  consent=domain.Consent(True, "verbal", "2026-11-20"), notes=notes)).value  # fmt: skip
    link = vault.links.tag(record.id, statement.id, PEOPLE, passage=passage_of(record.content, "notes", 0, len(notes))).value
    vault.report_texts.choose_quotations(assessment_id, [(record.id, link.id)])
    html = render_html(build_report(vault, assessment_id, draft=False, shared_on=None))
    assert "<script" not in html and "<img" not in html and "onerror=&quot;" in html
    assert "&lt;script&gt;alert(&#x27;passage&#x27;)&lt;/script&gt; &amp; left." in html


def test_counts_in_the_report_read_as_words_one_snapshot_one_response_never_s_in_brackets(vault: Vault, assessment_id: str) -> None:
    # Dogfood: a first draft said "1 snapshot(s), reviews marked".
    vault.judgements.snapshot(assessment_id, note="First draft rating")
    _report, draft = share_draft(vault, assessment_id, date(2026, 12, 7))
    vault.report_texts.record_response(assessment_id, FacResponseContent(draft.id, 1, "icb", "Not quite right.", decision="not_accepted", reason="It is right."))
    html = render_html(build_report(vault, assessment_id, draft=False, shared_on=None))
    assert "The rating over time: 1 snapshot, reviews marked." in html
    assert "1 response was received" in html
    assert "(s)" not in html
