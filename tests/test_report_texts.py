"""What the team writes for the report (issue 14) on a real vault: the summary, the theme narratives and
the progress commentary saved, read back and shown in the report; quotations chosen from the suggested
People's-experience passages, in order; responses to the factual accuracy check recorded and checked
against the draft they name; and a final report that lists the responses and exactly what changed
since the shared draft. Items of these kinds are never evidence."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from report_fixtures import PEOPLE, Demo, demo  # noqa: F401
from sqlalchemy import text

from fieldapp import domain
from fieldapp.errors import NotFound, UnresolvedConflict, ValidationError
from fieldapp.framework import default_framework
from fieldapp.item_kinds import DraftParagraph, FacResponseContent, ReportTextContent
from fieldapp.report.build import build_report, share_draft
from fieldapp.report.html import render_html
from fieldapp.report.model import Paragraph, Quotation, Report, Section, Table
from fieldapp.report_texts import report_text_id
from fieldapp.vault import Vault

SHARED = date(2026, 12, 7)


def section(report: Report, heading: str) -> Section:
    return next(s for s in report.sections if s.heading == heading)


def paragraph_texts(section: Section) -> list[str]:
    return [b.text for b in section.blocks if isinstance(b, Paragraph)]


def write(vault: Vault, aid: str, **fields: object) -> None:
    current = vault.report_texts.texts(aid).content
    vault.report_texts.save_texts(aid, dataclasses.replace(current, **fields))  # type: ignore[arg-type]


# -- texts -------------------------------------------------------------------------------------------


def test_texts_are_saved_read_back_and_shown_in_the_report(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    theme = default_framework().themes[0]
    assert vault.report_texts.texts(aid).content.summary == ""  # the demo chose quotations; nothing is written yet
    done = vault.report_texts.save_texts(aid, ReportTextContent(
        summary="Northshire is a large ICS of 1.2 million people.\n\nIts partners share one plan.",
        progress="Waiting lists have fallen since the last assessment.",
        strengths={theme.id: "Leaders listen to people and act on what they hear."},
        improvements={theme.id: "Data is not yet shared across places."},
    ))  # fmt: skip
    assert done.changes.judgements == {aid}
    row = vault.report_texts.texts(aid)
    assert row.exists and row.id == report_text_id(aid) and row.sync_state == "local" and not row.conflict
    assert row.content.summary.endswith("Its partners share one plan.") and row.content.strengths == {theme.id: "Leaders listen to people and act on what they hear."}

    report = build_report(vault, aid, draft=False, shared_on=None)
    assert [s.heading for s in report.sections][:2] == ["About this assessment", "Summary of the ICS's key features"]
    assert paragraph_texts(report.sections[1]) == ["Northshire is a large ICS of 1.2 million people.", "Its partners share one plan."]
    theme_texts = paragraph_texts(section(report, theme.name))
    # The narrative replaces the statements' own lines for this theme; another theme keeps them.
    assert theme_texts[1:] == ["Areas of strength:", "Leaders listen to people and act on what they hear.",
                               "Areas requiring improvement:", "Data is not yet shared across places."]  # fmt: skip
    other = default_framework().themes[1]
    assert any(t.startswith(f"{default_framework().statements_in(other.id)[0].name}: Strength of") for t in paragraph_texts(section(report, other.name)))
    progress = section(report, "Progress")
    assert paragraph_texts(progress)[0] == "Waiting lists have fallen since the last assessment."  # above the history
    assert [p.number for p in report.paragraphs()] == list(range(1, len(report.paragraphs()) + 1))
    assert len({p.key for p in report.paragraphs()}) == len(report.paragraphs())  # every key its own


def test_a_report_without_a_summary_says_so_and_texts_are_checked_in_words(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    report = build_report(vault, aid, draft=False, shared_on=None)
    assert paragraph_texts(report.sections[1]) == ["The team has not written the summary yet."]
    with pytest.raises(ValidationError, match="no theme 'not-a-theme'"):
        vault.report_texts.save_texts(aid, ReportTextContent(strengths={"not-a-theme": "x"}))
    with pytest.raises(ValidationError, match="longer than 200,000 characters"):
        vault.report_texts.save_texts(aid, ReportTextContent(summary="x" * 200_001))
    with pytest.raises(NotFound):
        vault.report_texts.texts("no-such-assessment")


def test_texts_in_conflict_refuse_the_report_naming_them(vault: Vault, demo: Demo) -> None:
    write(vault, demo.assessment_id, summary="One")
    with vault.transaction("marking a conflict, as a sync that found one does") as session:
        session.execute(text("UPDATE records SET sync_state = 'conflict' WHERE id = :id"), {"id": report_text_id(demo.assessment_id)})
    with pytest.raises(UnresolvedConflict, match="the report's texts"):
        build_report(vault, demo.assessment_id, draft=True, shared_on=SHARED)


def test_report_items_are_never_evidence(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    before, coverage_before = vault.records.list(aid), vault.coverage(aid)
    write(vault, aid, summary="A summary with a word: zebracrossing")
    _report, draft = share_draft(vault, aid, SHARED)
    vault.report_texts.record_response(aid, FacResponseContent(draft.id, 3, "icb", "zebracrossing is wrong"))
    assert vault.records.list(aid) == before
    assert vault.search("zebracrossing").items == ()  # the search index holds no item's words
    assert [r.id for r in vault.search("", kinds=domain.ITEM_KINDS).items] == []
    assert vault.coverage(aid) == coverage_before
    with pytest.raises(NotFound):
        vault.records.get(report_text_id(aid))
    with pytest.raises(NotFound):
        vault.records.delete(draft.id)


# -- quotations --------------------------------------------------------------------------------------


def test_suggestions_list_the_tagged_passages_with_who_and_what_they_inform(vault: Vault, demo: Demo) -> None:
    suggestions = vault.report_texts.suggestions(demo.assessment_id)
    assert sorted(s.passage for s in suggestions) == sorted(demo.quotes)
    first = next(s for s in suggestions if s.passage == demo.quotes[0])
    assert first.who == "Person P0, person who uses services" and first.informs == (default_framework().statements[0].name,)
    assert next(s for s in suggestions if s.passage == demo.quotes[1]).who == "Person P1, carer, family member or advocate"
    assert sorted(s.chosen for s in suggestions if s.chosen is not None) == list(range(1, 18))  # the demo chose them all


def test_choosing_two_quotes_only_those_two_in_that_order(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    suggestions = vault.report_texts.suggestions(aid)
    second, first = suggestions[5], suggestions[2]
    vault.report_texts.choose_quotations(aid, [(second.record_id, second.link_id), (first.record_id, first.link_id)])
    assert [s.passage for s in vault.report_texts.quotations(aid)] == [second.passage, first.passage]
    assert {s.passage: s.chosen for s in vault.report_texts.suggestions(aid) if s.chosen} == {second.passage: 1, first.passage: 2}
    quoted = [b for b in section(build_report(vault, aid, draft=False, shared_on=None), "People's experiences").blocks if isinstance(b, Quotation)]
    assert [(q.text, q.who, q.informs) for q in quoted] == [(s.passage, s.who, s.informs) for s in (second, first)]


def test_none_chosen_says_so_and_how_many_wait(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    vault.report_texts.choose_quotations(aid, [])
    people = section(build_report(vault, aid, draft=False, shared_on=None), "People's experiences")
    assert not any(isinstance(b, Quotation) for b in people.blocks)
    assert paragraph_texts(people) == ["The team has not chosen which passages to quote yet: 17 passages tagged as people's experience wait to be chosen."]


def test_a_chosen_passage_no_longer_tagged_or_deleted_is_not_quoted(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    a, b, c = vault.report_texts.suggestions(aid)[:3]
    vault.report_texts.choose_quotations(aid, [(x.record_id, x.link_id) for x in (a, b, c)])
    vault.links.untag(a.link_id, record_id=a.record_id)
    vault.records.delete(b.record_id)
    quoted = [q.text for q in section(build_report(vault, aid, draft=False, shared_on=None), "People's experiences").blocks if isinstance(q, Quotation)]
    assert quoted == [c.passage]
    assert [r.link_id for r in vault.report_texts.texts(aid).content.quotations] == [a.link_id, b.link_id, c.link_id]  # kept, unquoted
    with pytest.raises(ValidationError, match="tagged People's experience"):  # but never newly chosen
        vault.report_texts.choose_quotations(aid, [(c.record_id, c.link_id), ("nope", "nope")])


# -- the factual accuracy check ----------------------------------------------------------------------


def test_a_shared_draft_is_frozen_with_its_paragraphs_and_date(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    report, draft = share_draft(vault, aid, SHARED)
    assert report.draft and draft.shared_on == "2026-12-07" and draft.verified
    assert [(p.number, p.key, p.text) for p in draft.paragraphs] == [(p.number, p.key, p.text) for p in report.paragraphs()]
    assert vault.report_texts.drafts(aid) == (draft,)
    assert "Factual accuracy check" not in [s.heading for s in report.sections]  # a draft has no such section


def test_responses_are_recorded_and_checked_in_words(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    _report, draft = share_draft(vault, aid, SHARED)
    last = draft.paragraphs[-1].number
    done = vault.report_texts.record_response(aid, FacResponseContent(draft.id, 4, "icb", "The population is 1.3 million."))
    assert done.value.shared_on == "2026-12-07" and done.value.organisation == "the Integrated Care Board"
    assert done.value.content.decision == "" and done.value.content.recorded_by  # awaiting a decision; who recorded it
    cases = [
        (FacResponseContent(draft.id, last + 1, "icp", "x"), f"no paragraph {last + 1}: its paragraphs are numbered 1 to {last}"),
        (FacResponseContent("not-a-draft", 1, "icp", "x"), "a draft shared"),
        (FacResponseContent(draft.id, 1, "icp", "x", decision="accepted"), "says the change made"),
        (FacResponseContent(draft.id, 1, "icp", "x", decision="not_accepted"), "says why"),
        (FacResponseContent(draft.id, 1, "other", "x"), "organisation's name is missing"),
        (FacResponseContent(draft.id, 1, "nhs", "x"), "Integrated Care Board, the Integrated Care Partnership or another"),
        (FacResponseContent(draft.id, 1, "icb", "  "), "What the organisation said is missing"),
    ]
    for content, words in cases:
        with pytest.raises(ValidationError, match=words):
            vault.report_texts.record_response(aid, content)
    changed = dataclasses.replace(done.value.content, decision="accepted", change="Paragraph 4 now says 1.3 million.")
    vault.report_texts.record_response(aid, changed, response_id=done.value.id)
    other = vault.report_texts.record_response(aid, FacResponseContent(draft.id, 2, "other", "Wrong date.", organisation_name="Northshire Council",
                                                                       decision="not_accepted", reason="The date is right.")).value  # fmt: skip
    rows = vault.report_texts.responses(aid)
    assert [(r.content.paragraph, r.organisation, r.content.decision) for r in rows] == [
        (2, "Northshire Council", "not_accepted"), (4, "the Integrated Care Board", "accepted"),
    ]  # fmt: skip
    assert other.id != done.value.id


def test_a_final_report_lists_the_responses_and_exactly_what_changed_since_the_draft(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    theme = default_framework().themes[1]
    write(vault, aid, summary="Line one.\nLine two.\nLine three.", improvements={theme.id: "Waits are long."})
    draft_report, draft = share_draft(vault, aid, SHARED)
    by_key = {p.key: p for p in draft.paragraphs}
    vault.report_texts.record_response(aid, FacResponseContent(draft.id, by_key["summary:2"].number, "icb", "It is line 2.",
                                                               decision="accepted", change="Now reads 'Line 2'."))  # fmt: skip
    vault.report_texts.record_response(aid, FacResponseContent(draft.id, by_key["summary:3"].number, "icp", "Remove line three.",
                                                               decision="not_accepted", reason="It is accurate."))  # fmt: skip
    # After the check: one summary line changed, a line added before it, a theme's narrative removed (its
    # statements' own lines come back in its place), and the progress commentary written.
    write(vault, aid, summary="Line one.\nA new line.\nLine 2.\nLine three.", improvements={}, progress="Better than before.")
    final = build_report(vault, aid, draft=False, shared_on=None)
    checked = section(final, "Factual accuracy check")
    responses, changes = [b for b in checked.blocks if isinstance(b, Table)]
    assert responses.headers == ("Draft paragraph", "Organisation", "What was said", "Decision", "Change made or reason")
    assert responses.rows == (
        (str(by_key["summary:2"].number), "The Integrated Care Board", "It is line 2.", "Accepted", "Now reads 'Line 2'."),
        (str(by_key["summary:3"].number), "The Integrated Care Partnership", "Remove line three.", "Not accepted", "It is accurate."),
    )
    statements = default_framework().statements_in(theme.id)
    improvement_key = f"theme:{theme.id}:improvements"
    expected = [
        (str(by_key["summary:2"].number), "Line two.", "Line 2."),
        ("Added", "", "A new line."),
        (str(by_key[f"{improvement_key}:1"].number), "Waits are long.", "Removed"),
        *[("Added", "", f"{s.name}: Improve {s.name}") for s in statements],
        ("Added", "", "Better than before."),
    ]
    assert sorted(changes.rows) == sorted(expected)
    assert changes.rows[:2] == tuple(expected[1::-1])  # in reading order: the new line before the one edited after it
    assert "shared on 07/12/2026" in paragraph_texts(checked)[1]
    assert all(p.number is None for p in checked.blocks if isinstance(p, Paragraph))  # about the report, not part of it
    assert [p.number for p in final.paragraphs() if p.number is not None] == list(range(1, len(final.paragraphs()) - 1))
    html = render_html(final)
    assert "<h2>Factual accuracy check</h2>" in html and "<td>It is accurate.</td>" in html and "<td>Removed</td>" in html
    assert draft_report.draft and not final.draft


def test_a_final_report_after_a_draft_with_nothing_changed_says_so(vault: Vault, demo: Demo) -> None:
    aid = demo.assessment_id
    share_draft(vault, aid, SHARED)
    checked = section(build_report(vault, aid, draft=False, shared_on=None), "Factual accuracy check")
    assert paragraph_texts(checked) == ["The draft of this report was shared for a factual accuracy check on 07/12/2026. No responses are recorded.",
                                        "Nothing has changed since the draft shared on 07/12/2026."]  # fmt: skip
    assert not any(isinstance(b, Table) for b in checked.blocks)


def test_only_the_lead_inspector_shares_a_draft(vault: Vault, demo: Demo) -> None:
    with vault.transaction("the service names another inspector the lead") as session:
        session.execute(text("UPDATE assessments SET lead_id = 'someone-else', lead_name = 'Dana Lead' WHERE id = :id"), {"id": demo.assessment_id})
    with pytest.raises(ValidationError, match="Only the lead inspector, Dana Lead, shares the draft report"):
        share_draft(vault, demo.assessment_id, SHARED)
    assert vault.report_texts.drafts(demo.assessment_id) == ()
    write(vault, demo.assessment_id, summary="Anyone on the team writes texts.")  # texts are anyone's


def test_a_second_quotation_of_one_passage_and_a_draft_with_two_equal_keys_are_refused(vault: Vault, demo: Demo) -> None:
    s = vault.report_texts.suggestions(demo.assessment_id)[0]
    with pytest.raises(ValidationError, match="chosen twice"):
        vault.report_texts.save_texts(demo.assessment_id, ReportTextContent(quotations=(domain.EvidenceRef(s.record_id, s.link_id),) * 2))
    with pytest.raises(ValidationError, match="one number or one key"):
        vault.report_texts.share_draft(demo.assessment_id, SHARED, [DraftParagraph(1, "a", "x"), DraftParagraph(2, "a", "y")])


# -- merging (the rules docs/items.md gives) ---------------------------------------------------------


def body(kind: str, content: object) -> dict:
    plain = domain.item_to_dict(content)  # type: ignore[arg-type]
    return {"record_id": "r", "assessment_id": "a", "kind": kind, "framework": "f", "deleted": False, "content": plain, "links": [], "attachments": []}


def test_theme_narratives_merge_theme_by_theme_and_quotations_keep_a_reorder_and_an_addition() -> None:
    from fieldapp.revisions.merge import merge_bodies

    a, b, c = (domain.EvidenceRef("r", link) for link in ("l1", "l2", "l3"))
    base = ReportTextContent(summary="One.", strengths={"t1": "Good.\nKind."}, quotations=(a, b))
    left = dataclasses.replace(base, strengths={"t1": "Very good.\nKind.", "t2": "Open."}, quotations=(b, a))
    right = dataclasses.replace(base, summary="One.\nTwo.", strengths={"t1": "Good.\nKind and fair."}, quotations=(a, b, c))
    merged = merge_bodies(body("report_text", base), body("report_text", left), body("report_text", right))
    assert merged.snapshot is not None, merged.collisions
    made = domain.item_from_dict("report_text", merged.snapshot.content)
    assert made == ReportTextContent(summary="One.\nTwo.", strengths={"t1": "Very good.\nKind and fair.", "t2": "Open."}, quotations=(b, a, c))


def test_two_decisions_on_one_response_collide_while_what_was_said_merges() -> None:
    from fieldapp.revisions.merge import merge_bodies

    base = FacResponseContent("d", 3, "icb", "Line one.\nLine two.")
    left = dataclasses.replace(base, said="Line one, corrected.\nLine two.", decision="accepted", change="Changed.")
    right = dataclasses.replace(base, said="Line one.\nLine two, corrected.", decision="not_accepted", reason="Right as it is.")
    collided = merge_bodies(body("fac_response", base), body("fac_response", left), body("fac_response", right))
    assert [c.path for c in collided.collisions] == ["content.decision"]
    agreed = merge_bodies(body("fac_response", base), body("fac_response", left), body("fac_response", dataclasses.replace(right, decision="", reason="")))
    assert agreed.snapshot is not None and agreed.snapshot.content["said"] == "Line one, corrected.\nLine two, corrected." and agreed.snapshot.content["decision"] == "accepted"


def _summary_rows(final: Report, draft_numbers: set[int], now: set[str]) -> list[tuple[str, str, str]]:
    _responses_or_changes = [b for b in section(final, "Factual accuracy check").blocks if isinstance(b, Table)]
    changes = _responses_or_changes[-1]
    return [row for row in changes.rows if (row[0] != "Added" and int(row[0]) in draft_numbers) or row[2] in now]


def test_what_changed_in_long_repetitive_lines_is_listed_at_once(vault: Vault, demo: Demo) -> None:
    """A colleague's summary of a few very long, repetitive lines replacing the shared draft's: difflib's
    likeness took hours on such text (every final report, publish and export of the team waited on it);
    each line is now weighed by its opening's bigrams, so the change is listed as removed and added."""
    aid = demo.assessment_id
    write(vault, aid, summary="\n".join(("x%d " % n) * 500 for n in range(3)))
    _report, draft = share_draft(vault, aid, SHARED)
    numbers = {p.number for p in draft.paragraphs if p.key.startswith("summary:")}
    now = ["".join(("y%d " % n) * 16_000) for n in range(3)]
    write(vault, aid, summary="\n".join(now))
    rows = _summary_rows(build_report(vault, aid, draft=False, shared_on=None), numbers, {line.strip() for line in now})
    assert sorted(rows) == sorted([*[(str(n), (("x%d " % (n - min(numbers))) * 500).strip(), "Removed") for n in numbers],
                                   *[("Added", "", line.strip()) for line in now]])  # fmt: skip


def test_thousands_of_replaced_lines_are_each_listed_once_paired_or_not(vault: Vault, demo: Demo) -> None:
    """Two thousand summary lines rewritten after the draft: at most 20,000 likenesses are weighed (four
    million before), the first lines edited are paired with their new wording, and every other line is
    still listed, removed or added, exactly once."""
    aid = demo.assessment_id
    before = [f"Line {n} of the summary says the waiting list was {n} weeks." for n in range(2_000)]
    write(vault, aid, summary="\n".join(before))
    _report, draft = share_draft(vault, aid, SHARED)
    numbers = sorted(p.number for p in draft.paragraphs if p.key.startswith("summary:"))
    after = [f"Line {n} of the summary says the waiting list was {n} days." for n in range(2_000)]
    write(vault, aid, summary="\n".join(after))
    rows = _summary_rows(build_report(vault, aid, draft=False, shared_on=None), set(numbers), set(after))
    assert sorted(r[0] for r in rows if r[0] != "Added") == sorted(str(n) for n in numbers)  # each draft line once
    assert sorted(r[2] for r in rows if r[2] != "Removed") == sorted(after)  # each line now once
    paired = [r for r in rows if r[0] != "Added" and r[2] != "Removed"]
    assert paired and paired[0] == (str(numbers[0]), before[0], after[0])
