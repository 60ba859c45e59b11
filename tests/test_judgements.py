"""Judgements, the assessment's rating and rating snapshots in a real vault: their content and ids,
their revisions (format 2), checks in words with nothing half-saved, the roll-up, snapshots and
their history — and that none of them is ever listed, searched or counted as evidence."""

from __future__ import annotations

import dataclasses
import json
import uuid
from fractions import Fraction

import pytest
from sqlalchemy import text
from vault_fixtures import sample_contents

from fieldapp import domain, framework
from fieldapp.errors import NeedsUpdate, NotFound, UnresolvedConflict, ValidationError
from fieldapp.ids import derived_uuid
from fieldapp.judgements import judgement_id, rating_id
from fieldapp.ratings import Result
from fieldapp.revisions import revision
from fieldapp.revisions.canonical import canonical_json
from fieldapp.rows import Passage
from fieldapp.vault import Vault

STAFFING = "safe-effective-staffing"
SAFEGUARDING = "safeguarding"
PEOPLE, STAFF, OUTCOMES = "peoples-experience", "staff-leaders-feedback", "outcomes"


def revision_bodies(vault: Vault) -> list[dict]:
    with vault.transaction("reading revisions") as session:
        return [revision.parse_body(body) for (body,) in session.execute(text("SELECT body FROM revisions ORDER BY seq"))]


def scored(statement_id: str, **scores: int) -> domain.JudgementContent:
    return domain.JudgementContent(statement_id, {k.replace("_", "-"): domain.ScoreEntry(v) for k, v in scores.items()})


# -- content, ids, revision bodies ---------------------------------------------------------------------


def test_each_item_kind_round_trips_through_its_plain_dict() -> None:
    judgement = domain.JudgementContent(
        STAFFING,
        {PEOPLE: domain.ScoreEntry(3, "existing", "2026-11-20"), OUTCOMES: domain.ScoreEntry(2)},
        strengths="Rotas are filled\nAgency use falls",
        improvements="Night cover",
        key_evidence=(domain.EvidenceRef("r2", "l1"), domain.EvidenceRef("r1")),
        status="agreed",
        scored_by="Amara",
        agreed_by="Ben",
    )
    rating = domain.RatingContent("cqc-ics-by-category@1", 2, "Staffing risk outweighs the rest")
    snapshot = domain.SnapshotContent("review", "2026-12-04", "Score unchanged", "cqc-ics-by-category@1", {STAFFING: {PEOPLE: 3}},
                                      {STAFFING: {"percent_exact": "75", "shown": 75, "score": 3, "rating": "Good"}}, {}, None)  # fmt: skip
    for kind, content in ((domain.JUDGEMENT, judgement), (domain.RATING, rating), (domain.SNAPSHOT, snapshot)):
        plain = domain.item_to_dict(content)
        again = domain.item_from_dict(kind, json.loads(canonical_json(plain)))
        assert domain.item_to_dict(again) == plain
    # key evidence is a set: one spelling whatever the order it was chosen in
    assert [r["record_id"] for r in domain.item_to_dict(judgement)["key_evidence"]] == ["r1", "r2"]


@pytest.mark.parametrize(
    ("kind", "data", "words"),
    [
        (domain.JUDGEMENT, {"statement_id": STAFFING, "scores": {PEOPLE: {"score": 5, "basis": "updated", "evidence_date": ""}}}, "from 1 to 4"),
        (domain.JUDGEMENT, {"statement_id": STAFFING, "scores": {PEOPLE: {"score": 3, "basis": "guessed", "evidence_date": ""}}}, "updated or existing"),
        (domain.JUDGEMENT, {"statement_id": STAFFING, "scores": {PEOPLE: {"score": 3, "basis": "updated", "evidence_date": "4/12/26"}}}, "is not a date"),
        (domain.JUDGEMENT, {"statement_id": STAFFING, "status": "final"}, "draft or agreed"),
        (domain.JUDGEMENT, {"statement_id": STAFFING, "mood": "fine"}, "does not know: mood"),
        (domain.JUDGEMENT, {"scores": {}}, "a field it needs is missing"),
        (domain.RATING, {"rules": "cqc-ics-by-category@1", "final_score": 0, "reason": ""}, "from 1 to 4"),
        (domain.SNAPSHOT, {"kind": "draft", "taken_on": "2026-12-04"}, "published or a review"),
        ("inspection_plan", {}, "Update fieldapp"),  # a kind of a newer app
    ],
)
def test_item_content_that_is_not_possible_is_refused_in_words(kind: str, data: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        domain.item_from_dict(kind, data)


def test_a_judgement_id_is_derived_from_its_assessment_and_statement_as_a_version_8_uuid() -> None:
    first = judgement_id("a1", STAFFING)
    assert first == judgement_id("a1", STAFFING) == derived_uuid("judgement", "a1", STAFFING)
    assert uuid.UUID(first).version == 8 and uuid.UUID(first).variant == uuid.RFC_4122
    assert len({first, judgement_id("a2", STAFFING), judgement_id("a1", SAFEGUARDING), rating_id("a1")}) == 4
    assert derived_uuid("ab", "c") != derived_uuid("a", "bc")  # names are kept apart, not run together


def test_items_carry_body_format_2_and_records_keep_format_1(vault: Vault, assessment_id: str) -> None:
    record = vault.records.create(assessment_id, sample_contents()[0]).value
    vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, peoples_experience=3))
    vault.records.cut_all()
    bodies = {body["record_id"]: body for body in revision_bodies(vault)}
    assert bodies[record.id]["format"] == 1
    assert bodies[judgement_id(assessment_id, STAFFING)]["format"] == 2
    assert bodies[judgement_id(assessment_id, STAFFING)]["kind"] == "judgement"


def _body(**changes: object) -> bytes:
    body = {"format": 2, "record_id": judgement_id("a", STAFFING), "assessment_id": "a", "kind": "judgement",
            "framework": "cqc-ics@2024.1", "parents": [], "deleted": False, "content": {"statement_id": STAFFING},
            "links": [], "attachments": [], "device_id": "d", "created_at": "2026-12-06T10:00:00.000000Z"}  # fmt: skip
    return canonical_json({**body, **changes})


def test_a_body_of_a_newer_format_says_update_fieldapp_never_tampered() -> None:
    with pytest.raises(NeedsUpdate, match="update fieldapp"):
        revision.parse_body(_body(format=4))  # 3 is evidence with context (issue 15)
    # an app that reads only format 1 says the same of a judgement, as an older one should
    with pytest.raises(NeedsUpdate, match="update fieldapp"):
        revision.parse_body(_body(), known_formats=frozenset({1}))
    with pytest.raises(NeedsUpdate, match="update fieldapp"):
        revision.parse_body(_body(kind="inspection_plan"))  # a kind of a newer app
    assert revision.parse_body(_body())["kind"] == "judgement"


def test_a_format_that_does_not_match_its_kind_is_malformed_not_newer() -> None:
    for body in (_body(format=1), _body(kind="interview"), _body(links=[{"id": "l"}])):
        with pytest.raises(ValidationError) as caught:
            revision.parse_body(body)
        assert not isinstance(caught.value, NeedsUpdate)


# -- never evidence ---------------------------------------------------------------------------------


def test_no_item_of_any_kind_shows_in_the_evidence_list_search_or_coverage(vault: Vault, assessment_id: str) -> None:
    record = vault.records.create(assessment_id, sample_contents()[0]).value
    vault.links.tag(record.id, STAFFING, PEOPLE)
    judgement = scored(STAFFING, peoples_experience=3)
    vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(judgement, strengths="Zanzibar rotas filled"))
    vault.judgements.set_final(assessment_id, 2, "Zanzibar staffing risk")
    vault.judgements.snapshot(assessment_id, note="Zanzibar snapshot")
    vault.records.cut_all()

    assert [r.id for r in vault.records.list(assessment_id)] == [record.id]
    assert [r.id for r in vault.records.list()] == [record.id]
    assert vault.search("Zanzibar").items == ()  # the search index (FTS) holds no item's words
    assert [r.id for r in vault.search("", assessment_id=assessment_id).items] == [record.id]
    assert [r.id for r in vault.search("", kinds=domain.ITEM_KINDS).items] == []
    coverage = vault.coverage(assessment_id)
    assert coverage.cells == {(STAFFING, PEOPLE): 1}
    with pytest.raises(NotFound):
        vault.records.get(judgement_id(assessment_id, STAFFING))
    assert vault.verify(attachments=False).ok


# -- saving judgements ------------------------------------------------------------------------------


def test_a_statement_never_scored_reads_as_an_empty_draft(vault: Vault, assessment_id: str) -> None:
    row = vault.judgements.get(assessment_id, STAFFING)
    assert (row.exists, row.content.scores, row.result, row.statement_name) == (False, {}, None, "Safe and effective staffing")
    rows = vault.judgements.list(assessment_id)
    assert len(rows) == 17 and not any(r.exists for r in rows)
    assert rows[0].theme_id == "quality-and-safety"


def test_saving_scores_a_statement_by_category_and_fills_who_scored(vault: Vault, assessment_id: str) -> None:
    done = vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, peoples_experience=3, staff_leaders_feedback=2, outcomes=3, observation=3))
    row = done.value
    assert row.exists and row.id == judgement_id(assessment_id, STAFFING)
    assert row.result is not None and (str(row.result.percent), row.result.shown, row.result.rating) == ("275/4", 69, "Good")
    assert row.content.scored_by == "this device"  # the label this vault knows its laptop by
    assert done.changes.judgements == {assessment_id} and not done.changes.records
    assert vault.judgements.get(assessment_id, STAFFING) == row
    again = vault.judgements.save(assessment_id, STAFFING, row.content)
    assert not again.changes  # nothing changed, nothing to sync


def test_an_evidence_date_that_does_not_read_is_kept_as_typed_beside_the_judgement_until_it_reads(vault: Vault, assessment_id: str) -> None:
    typed = {f"scores.{PEOPLE}.evidence_date": "last Tuesday"}
    done = vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, peoples_experience=3), as_typed=typed)
    assert done.changes.judgements == {assessment_id}
    row = vault.judgements.get(assessment_id, STAFFING)
    assert row.as_typed == typed and row.content.scores[PEOPLE] == domain.ScoreEntry(3, "updated", "")  # the signed content as old apps read it
    assert vault.judgements.list(assessment_id)[[r.statement_id for r in vault.judgements.list(assessment_id)].index(STAFFING)].as_typed == typed
    more = dataclasses.replace(row.content, strengths="Rotas are planned a month ahead")
    assert vault.judgements.save(assessment_id, STAFFING, more).value.as_typed == typed  # a save that does not say keeps it
    only_typed = vault.judgements.save(assessment_id, STAFFING, more, as_typed={f"scores.{PEOPLE}.evidence_date": "31/02/2026"})
    assert only_typed.changes.judgements == {assessment_id} and only_typed.value.as_typed == {f"scores.{PEOPLE}.evidence_date": "31/02/2026"}
    dated = dataclasses.replace(more, scores={PEOPLE: domain.ScoreEntry(3, "updated", "2026-11-17")})
    assert vault.judgements.save(assessment_id, STAFFING, dated).value.as_typed == {}  # it reads now: the date stands in the content
    vault.judgements.save(assessment_id, STAFFING, more, as_typed=typed)
    assert vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(more, scores={})).value.as_typed == {}  # the score went, its date with it


def test_an_evidence_date_kept_as_typed_that_cannot_be_kept_is_refused_in_words(vault: Vault, assessment_id: str) -> None:
    with pytest.raises(ValidationError, match="cannot be kept as typed"):
        vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, peoples_experience=3), as_typed={f"scores.{PEOPLE}.evidence_date": "x" * 201})
    assert not vault.judgements.get(assessment_id, STAFFING).exists


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (scored(STAFFING, statement=3), "score each evidence category"),
        (scored(STAFFING, tea_and_biscuits=3), "score each evidence category"),
        (domain.JudgementContent(SAFEGUARDING, {PEOPLE: domain.ScoreEntry(3)}), "not of ‘Safe and effective staffing’"),
    ],
)
def test_a_judgement_the_rules_or_framework_do_not_allow_is_refused_and_nothing_is_saved(
    vault: Vault, assessment_id: str, content: domain.JudgementContent, words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        vault.judgements.save(assessment_id, STAFFING, content)
    assert not vault.judgements.get(assessment_id, STAFFING).exists
    assert vault.replication.status().unsaved == 0


def test_a_score_outside_1_to_4_and_a_statement_not_in_the_framework_are_refused(vault: Vault, assessment_id: str) -> None:
    with pytest.raises(ValidationError, match="from 1 to 4"):
        vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, outcomes=0))
    with pytest.raises(ValidationError, match="no quality statement 'tea-rota'"):
        vault.judgements.save(assessment_id, "tea-rota", scored("tea-rota", outcomes=3))
    assert not any(r.exists for r in vault.judgements.list(assessment_id))


def test_rules_by_statement_take_one_score_per_statement(vault: Vault, assessment_id: str) -> None:
    done = vault.judgements.set_rules(assessment_id, "cqc-ics-by-statement@1")
    assert done.value.rules.mode == "by_statement" and vault.judgements.rules(assessment_id).key == "cqc-ics-by-statement@1"
    with pytest.raises(ValidationError, match="one score for ‘Safe and effective staffing’"):
        vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, outcomes=3))
    row = vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, statement=2)).value
    assert row.result is not None and row.result.rating == "Requires improvement"
    with pytest.raises(NotFound):
        vault.judgements.set_rules(assessment_id, "made-up@1")


def test_key_evidence_must_be_this_assessments_and_a_deleted_one_is_kept_and_shown_removed(vault: Vault, assessment_id: str) -> None:
    other = vault.assessments.create("Southshire ICS").value.id
    elsewhere = vault.records.create(other, sample_contents()[1]).value
    with pytest.raises(ValidationError, match="record of this assessment"):
        vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(scored(STAFFING), key_evidence=(domain.EvidenceRef(elsewhere.id),)))

    interview = vault.records.create(assessment_id, sample_contents()[1]).value
    notes = interview.content.notes
    link = vault.links.tag(interview.id, STAFFING, PEOPLE, passage=Passage("notes", 0, 19, notes[:19])).value
    focus = vault.records.create(assessment_id, sample_contents()[3]).value
    vault.links.tag(focus.id, STAFFING, STAFF)
    key = (domain.EvidenceRef(interview.id, link.id), domain.EvidenceRef(focus.id))
    vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(scored(STAFFING, outcomes=3), key_evidence=key))

    evidence = vault.judgements.evidence(assessment_id, STAFFING)
    assert (evidence.total, evidence.count(), evidence.count(PEOPLE), evidence.count(STAFF)) == (2, 2, 1, 1)
    (passage,) = dict((c, items) for c, _n, items in evidence.by_category)[PEOPLE]
    assert (passage.title, passage.passage_text, passage.removed) == (interview.title, notes[:19], False)

    vault.records.delete(interview.id)
    evidence = vault.judgements.evidence(assessment_id, STAFFING)
    (gone,) = dict((c, items) for c, _n, items in evidence.by_category)[PEOPLE]
    assert (gone.record_id, gone.removed, gone.title) == (interview.id, True, interview.title)
    assert evidence.total == 1
    kept = vault.judgements.get(assessment_id, STAFFING).content
    assert set(kept.key_evidence) == set(key)
    vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(kept, strengths="Still rests on the interview"))


def test_status_agreed_names_who_agreed_and_back_to_draft_forgets_it(vault: Vault, assessment_id: str) -> None:
    row = vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, outcomes=3)).value
    agreed = vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(row.content, status="agreed")).value
    assert agreed.content.agreed_by == "this device"
    draft = vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(agreed.content, status="draft")).value
    assert draft.content.agreed_by == ""


def test_scores_changed_after_they_were_agreed_make_the_judgement_a_draft_again(vault: Vault, assessment_id: str) -> None:
    row = vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, outcomes=3)).value
    agreed = vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(row.content, status="agreed")).value
    words = vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(agreed.content, strengths="Rotas filled")).value
    assert (words.content.status, words.content.agreed_by) == ("agreed", "this device")  # the rationale's words: still agreed
    rescored = dataclasses.replace(words.content, scores={OUTCOMES: domain.ScoreEntry(1)})
    changed = vault.judgements.save(assessment_id, STAFFING, rescored).value
    assert (changed.content.status, changed.content.agreed_by) == ("draft", "")
    assert vault.judgements.get(assessment_id, STAFFING).content.status == "draft"
    again = vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(changed.content, status="agreed")).value
    assert (again.content.status, again.content.agreed_by, again.content.scores[OUTCOMES].score) == ("agreed", "this device", 1)


# -- the rating ------------------------------------------------------------------------------------


def test_the_rating_rolls_up_live_and_a_final_rating_needs_a_reason_when_it_differs(vault: Vault, assessment_id: str) -> None:
    assert vault.judgements.rating(assessment_id).computed_score is None
    vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, peoples_experience=3, outcomes=3))
    vault.judgements.save(assessment_id, SAFEGUARDING, scored(SAFEGUARDING, peoples_experience=2, outcomes=2))
    vault.judgements.save(assessment_id, "learning-culture", scored("learning-culture", outcomes=3))
    rating = vault.judgements.rating(assessment_id)
    # statements 3, 2, 3 -> 8/12 = 66.67 % -> 67 -> Good; three of seventeen scored: provisional
    assert (rating.computed_score, rating.computed_rating, rating.rating, rating.differs) == (3, "Good", "Good", False)
    assert rating.rollup.provisional and (rating.rollup.scored, rating.rollup.total) == (3, 17)
    assert rating.rollup.overall is not None and rating.rollup.overall.percent_text() == "66.67"

    with pytest.raises(ValidationError, match="write the reason"):
        vault.judgements.set_final(assessment_id, 2, "  ")
    assert vault.judgements.rating(assessment_id).final_score is None
    with pytest.raises(ValidationError, match="one of 1 Inadequate"):
        vault.judgements.set_final(assessment_id, 5, "why not")
    final = vault.judgements.set_final(assessment_id, 2, "Safeguarding failures outweigh the rest").value
    assert (final.final_rating, final.computed_rating, final.rating, final.differs) == ("Requires improvement", "Good", "Requires improvement", True)
    assert final.reason == "Safeguarding failures outweigh the rest"
    followed = vault.judgements.set_final(assessment_id, None, "").value
    assert (followed.rating, followed.differs, followed.reason) == ("Good", False, "")


# -- snapshots and history ---------------------------------------------------------------------------


def test_a_snapshot_is_signed_immutable_and_the_history_flags_each_change_of_level(vault: Vault, assessment_id: str) -> None:
    vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, peoples_experience=3, outcomes=3))
    vault.judgements.save(assessment_id, SAFEGUARDING, scored(SAFEGUARDING, peoples_experience=3))
    first = vault.judgements.snapshot(assessment_id, note="First published").value
    assert first.verified and first.kind == "published" and first.content.overall is not None
    assert first.content.overall is not None
    overall = Result.from_json(first.content.overall)  # exact, as the roll-up gave it
    assert (overall.percent, overall.shown, overall.rating, overall.position) == (Fraction(75), 75, "Good", "middle")
    assert Result.from_json(first.content.statements[STAFFING]) == vault.judgements.get(assessment_id, STAFFING).result
    assert first.content.scores[STAFFING] == {PEOPLE: 3, OUTCOMES: 3}
    vault.judgements.snapshot(assessment_id, kind="review", note="Reviewed, score unchanged")
    vault.judgements.save(assessment_id, SAFEGUARDING, scored(SAFEGUARDING, peoples_experience=1))
    vault.judgements.snapshot(assessment_id, note="Safeguarding concern")

    snapshots = vault.judgements.snapshots(assessment_id)
    assert [s.kind for s in snapshots] == ["published", "review", "published"] and all(s.verified for s in snapshots)
    history = vault.judgements.history(assessment_id)
    assert [p.review for p in history] == [False, True, False]
    assert history[1].changes == ()
    changes = {(c.what, c.id): (c.before, c.after) for c in history[2].changes}
    # safeguarding 3 -> 1; the theme (3, 3) 75 % -> (3, 1) 50 %; overall alike
    assert changes == {
        ("statement", SAFEGUARDING): ("Good", "Inadequate"),
        ("theme", "quality-and-safety"): ("Good", "Requires improvement"),
        ("overall", ""): ("Good", "Requires improvement"),
    }
    assert history[2].rating == "Requires improvement"
    made = [body for body in revision_bodies(vault) if body["kind"] == "rating_snapshot"]
    assert len(made) == 3 and all(not body["parents"] for body in made)  # one revision each, no parents


def test_a_snapshot_is_refused_while_a_judgement_is_in_conflict_naming_the_statement(vault: Vault, assessment_id: str) -> None:
    vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, outcomes=3))
    with vault.transaction("marking a conflict, as a sync that found one does") as session:
        session.execute(text("UPDATE records SET sync_state = 'conflict' WHERE id = :id"), {"id": judgement_id(assessment_id, STAFFING)})
    with pytest.raises(UnresolvedConflict, match="‘Safe and effective staffing’"):
        vault.judgements.snapshot(assessment_id)
    with pytest.raises(UnresolvedConflict, match="before recording a review"):
        vault.judgements.snapshot(assessment_id, kind="review")
    assert vault.judgements.snapshots(assessment_id) == ()
    assert vault.judgements.get(assessment_id, STAFFING).conflict


def test_judgement_only_rules_take_no_scores_and_a_rating_chosen_directly_needs_no_reason(vault: Vault, assessment_id: str) -> None:
    vault.judgements.save(assessment_id, STAFFING, scored(STAFFING, outcomes=2))  # scored before the rules changed: kept
    rating = vault.judgements.set_rules(assessment_id, "cqc-ics-judgement-only@1").value
    assert (rating.computed_score, rating.rollup.overall, rating.rollup.scored) == (None, None, 1)
    with pytest.raises(ValidationError, match="rate the assessment directly"):
        vault.judgements.save(assessment_id, SAFEGUARDING, scored(SAFEGUARDING, outcomes=3))
    kept = vault.judgements.get(assessment_id, STAFFING).content
    vault.judgements.save(assessment_id, STAFFING, dataclasses.replace(kept, strengths="Rationale only, now"))  # its old score stays
    chosen = vault.judgements.set_final(assessment_id, 3, "").value
    assert (chosen.score, chosen.rating, chosen.differs) == (3, "Good", False)  # nothing computed to differ from
    made = vault.judgements.snapshot(assessment_id).value.content
    assert (made.final_rating, made.computed_rating, made.overall) == ("Good", "", None)


def test_the_team_chooses_how_exact_halves_round_and_the_rating_follows_on_every_reading(vault: Vault, assessment_id: str) -> None:
    vault.judgements.set_rules(assessment_id, "cqc-ics-by-statement@1")
    statements = [s.id for s in framework.default_framework().statements[:6]]
    for statement_id, score in zip(statements, (3, 3, 3, 2, 2, 2)):
        vault.judgements.save(assessment_id, statement_id, scored(statement_id, statement=score))
    half_up = vault.judgements.rating(assessment_id)
    assert half_up.rollup.overall is not None
    assert (half_up.rollup.overall.percent, half_up.rollup.overall.shown, half_up.computed_rating) == (Fraction(125, 2), 63, "Good")
    assert half_up.rollup.overall.rounding_sensitive

    half_down = vault.judgements.set_rounding(assessment_id, "half-down").value
    assert (half_down.rules.rounding, half_down.rollup.overall.shown, half_down.computed_rating) == ("half_down", 62, "Requires improvement")  # type: ignore[union-attr]
    assert vault.judgements.rating(assessment_id).computed_rating == "Requires improvement"  # kept, not just answered
    snapshot = vault.judgements.snapshot(assessment_id).value
    assert (snapshot.content.computed_rating, snapshot.content.overall["shown"]) == ("Requires improvement", 62)  # type: ignore[index]

    with pytest.raises(ValidationError, match="Rounding 'sideways' is not known"):
        vault.judgements.set_rounding(assessment_id, "sideways")
    assert vault.judgements.rules(assessment_id).rounding == "half_down"  # nothing changed by the refusal
    assert vault.judgements.set_rounding(assessment_id, "").value.computed_rating == "Good"  # the rules' own again
    assert vault.judgements.set_rules(assessment_id, "cqc-ics-by-category@1").value.rules.rounding == "half_up"
