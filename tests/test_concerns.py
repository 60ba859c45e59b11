"""Concerns (issue 15) on a real vault: raised from an interview still being typed, or from a passage of
it, each cut into a signed revision at once so it can be pushed before the interview is; changed (cut
again), listed open until the office's acknowledgement arrives, by statement for coverage, the passage
read from the record and never copied; refused in words when malformed; merged field by field."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import text

from fieldapp import domain
from fieldapp.concerns import Acknowledgement, asks_about_poor_experience
from fieldapp.errors import NotFound, ValidationError
from fieldapp.item_kinds import ConcernContent, item_from_dict, item_to_dict
from fieldapp.revisions.merge import merge_bodies
from fieldapp.rows import Passage
from fieldapp.vault import Vault

NOTES = "She said the night staff shout at her when she asks for help. Otherwise fine."
SHOUTED = (NOTES.index("the night"), NOTES.index(" Otherwise"))  # "the night staff shout … for help."


def interview(vault: Vault, aid: str) -> str:
    """An interview typed but never left: a draft with no revision."""
    made = vault.records.create(aid, domain.Interview(title="Mrs A at home", pseudonym="Mrs A", notes=NOTES)).value
    assert made.head_revision_id is None
    return made.id


def on_passage(record_id: str, **fields: object) -> ConcernContent:
    made = ConcernContent(
        "safeguarding", "immediate", "Night staff shout at Mrs A when she asks for help.", record_id=record_id,
        passage_field="notes", passage_start=SHOUTED[0], passage_end=SHOUTED[1], statements=("safe-effective-staffing",),
        tell="The local authority safeguarding lead",
    )  # fmt: skip
    return dataclasses.replace(made, **fields)  # type: ignore[arg-type]


def revisions_of(vault: Vault, item_id: str) -> list[tuple[str, int]]:
    with vault.transaction("test") as session:
        return [(r[0], r[1]) for r in session.execute(text("SELECT id, pushed FROM revisions WHERE record_id = :r"), {"r": item_id})]


def test_a_concern_raised_from_an_interview_still_being_typed_is_a_signed_revision_at_once(vault: Vault, assessment_id: str) -> None:
    record_id = interview(vault, assessment_id)
    done = vault.concerns.raise_concern(assessment_id, on_passage(record_id))
    row = done.value
    assert done.changes.concerns == {assessment_id} and len(done.changes.revisions) == 1
    assert revisions_of(vault, row.id) == [(next(iter(done.changes.revisions)), 0)]
    assert vault.records.get(record_id).head_revision_id is None  # the interview is still only a draft
    assert (row.state, row.record_title, row.passage) == ("raised", "Mrs A at home", NOTES[SHOUTED[0] : SHOUTED[1]])
    assert row.content.raised_by and row.content.raised_at.startswith("20") and row.open
    with vault.transaction("test") as session:
        body = json.loads(session.execute(text("SELECT body FROM revisions WHERE record_id = :r"), {"r": row.id}).scalar_one())
    assert body["kind"] == "concern" and body["format"] == 2 and "the night staff" not in json.dumps(body["content"])


def test_a_concern_is_listed_open_by_statement_and_for_its_record_but_never_as_evidence(vault: Vault, assessment_id: str) -> None:
    record_id = interview(vault, assessment_id)
    row = vault.concerns.raise_concern(assessment_id, on_passage(record_id)).value
    alone = vault.concerns.raise_concern(assessment_id, ConcernContent("other", "routine", "Heard in the canteen: rotas are short.")).value
    assert [r.id for r in vault.concerns.list(assessment_id)] == [alone.id, row.id]  # newest first
    assert {r.id for r in vault.concerns.unacknowledged()} == {alone.id, row.id}
    assert [r.id for r in vault.concerns.for_record(record_id)] == [row.id]
    assert {k: [r.id for r in v] for k, v in vault.concerns.by_statement(assessment_id).items()} == {"safe-effective-staffing": [row.id]}
    assert (alone.record_title, alone.passage) == ("", "")
    assert [r.id for r in vault.records.list(assessment_id)] == [record_id]


def test_the_offices_acknowledgement_makes_a_concern_acknowledged_by_whom_and_when_and_the_first_stands(vault: Vault, assessment_id: str) -> None:
    row = vault.concerns.raise_concern(assessment_id, on_passage(interview(vault, assessment_id))).value
    changes = vault.concerns.acknowledge([Acknowledgement(row.id, "Priya Shah (office)", "2026-12-07T10:00:00+00:00", "Referred to the LA")])
    assert changes.concerns == {assessment_id}
    again = vault.concerns.acknowledge([Acknowledgement(row.id, "Somebody else", "2026-12-08T10:00:00+00:00"), Acknowledgement("no-such", "X", "2026-12-08T10:00:00+00:00")])
    assert not again
    got = vault.concerns.get(row.id)
    assert (got.state, got.acknowledged_by, got.acknowledged_at, got.acknowledgement_note) == (
        "acknowledged", "Priya Shah (office)", "2026-12-07T10:00:00+00:00", "Referred to the LA",
    )  # fmt: skip
    assert vault.concerns.unacknowledged() == () and vault.concerns.list(assessment_id, open_only=True) == ()


def test_changing_a_concern_cuts_a_revision_at_once_and_keeps_who_raised_it(vault: Vault, assessment_id: str) -> None:
    row = vault.concerns.raise_concern(assessment_id, on_passage(interview(vault, assessment_id))).value
    changed = vault.concerns.update(row.id, dataclasses.replace(row.content, urgency="soon", raised_by="forged", tell="")).value
    assert (changed.content.urgency, changed.content.raised_by, changed.content.raised_at) == ("soon", row.content.raised_by, row.content.raised_at)
    assert len(revisions_of(vault, row.id)) == 2
    assert not vault.concerns.update(row.id, changed.content).changes  # nothing changed: nothing cut
    assert len(revisions_of(vault, row.id)) == 2


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"concern_kind": "gossip"}, "safeguarding, a risk of harm"),
        ({"urgency": "whenever"}, "immediate, soon or routine"),
        ({"heard": "   "}, "What was heard is missing"),
        ({"passage_start": 5, "passage_end": 5}, "a start before its end"),
        ({"passage_end": len(NOTES) + 10}, "no longer in the record"),
        ({"passage_field": "", "passage_start": 1, "passage_end": 4}, "names its field"),
        ({"statements": ("no-such-statement",)}, "no-such-statement"),
        ({"heard": "x" * 200_001}, "longer than"),
        ({"tell": "a\x00b"}, "NUL"),
    ],
)
def test_a_malformed_concern_is_refused_in_words(vault: Vault, assessment_id: str, fields: dict[str, object], words: str) -> None:
    record_id = interview(vault, assessment_id)
    with pytest.raises((ValidationError, NotFound), match=words):
        vault.concerns.raise_concern(assessment_id, on_passage(record_id, **fields))
    assert vault.concerns.list(assessment_id) == ()


def test_a_concern_from_another_assessments_record_or_of_an_unknown_assessment_is_refused(vault: Vault, assessment_id: str) -> None:
    other = vault.assessments.create("Southshire ICS").value.id
    record_id = interview(vault, other)
    with pytest.raises(ValidationError, match="record of this assessment"):
        vault.concerns.raise_concern(assessment_id, on_passage(record_id))
    with pytest.raises(NotFound, match="No assessment"):
        vault.concerns.raise_concern("no-such-assessment", on_passage(record_id))
    with pytest.raises(NotFound, match="No concern"):
        vault.concerns.get(record_id)


def test_content_from_a_colleague_is_read_strictly(vault: Vault) -> None:
    plain = item_to_dict(on_passage("r1", statements=("b", "a")))
    assert plain["statements"] == ["a", "b"] and item_from_dict("concern", plain) == on_passage("r1", statements=("a", "b"))
    for broken in ({**plain, "extra": 1}, {**plain, "statements": "a"}, {**plain, "passage_start": "3"}, {**plain, "raised_at": "yesterday"}):
        with pytest.raises(ValidationError):
            item_from_dict("concern", broken)


def test_two_changes_to_a_concern_merge_field_by_field_and_two_urgencies_collide() -> None:
    def body(content: ConcernContent) -> dict:
        return {"record_id": "c", "assessment_id": "a", "kind": "concern", "framework": "f", "format": 2, "deleted": False,
                "parents": [], "content": item_to_dict(content), "links": [], "attachments": []}  # fmt: skip

    base = on_passage("r1", heard="Line one.\nLine two.", statements=("a",))
    left = dataclasses.replace(base, heard="Line one, changed.\nLine two.", statements=("a", "b"))
    right = dataclasses.replace(base, heard="Line one.\nLine two.\nLine three.", statements=("a", "c"), tell="The GP")
    merged = merge_bodies(body(base), body(left), body(right))
    assert merged.clean
    assert merged.snapshot is not None
    content = merged.snapshot.content
    assert (content["heard"], content["statements"], content["tell"]) == ("Line one, changed.\nLine two.\nLine three.", ["a", "b", "c"], "The GP")
    clash = merge_bodies(body(base), body(dataclasses.replace(base, urgency="soon")), body(dataclasses.replace(base, urgency="routine")))
    assert not clash.clean and [c.path for c in clash.collisions] == ["content.urgency"]


def test_a_peoples_experience_passage_asks_about_poor_experience_until_a_concern_stands_on_it(vault: Vault, assessment_id: str) -> None:
    record_id = interview(vault, assessment_id)
    passage = Passage("notes", SHOUTED[0], SHOUTED[1], NOTES[SHOUTED[0] : SHOUTED[1]])
    assert vault.concerns.should_ask(record_id, "peoples-experience", passage)
    assert not vault.concerns.should_ask(record_id, "processes", passage)
    vault.concerns.raise_concern(assessment_id, on_passage(record_id, concern_kind="poor_experience"))
    assert not vault.concerns.should_ask(record_id, "peoples-experience", passage)
    elsewhere = Passage("notes", 0, 8, NOTES[:8])
    assert vault.concerns.should_ask(record_id, "peoples-experience", elsewhere)
    whole = ConcernContent("poor_experience", "soon", "All of it.", record_id=record_id)
    assert not asks_about_poor_experience("peoples-experience", record_id, elsewhere, [whole])
