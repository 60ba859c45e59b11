"""Two versions of a record compared as people read them: the differing words marked, fields
named as the editor names them, collisions placed in their field."""

from __future__ import annotations


from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.compare import Span, collision_words, compare, word_diff
from fieldapp.framework import default_framework

KEY = Ed25519PrivateKey.generate()


def _head(content: domain.Content, *, links: tuple[dict, ...] = (), deleted: bool = False) -> revision.SignedRevision:
    snapshot = revision.Snapshot(
        record_id="r1", assessment_id="a1", kind=content.kind, framework_key=default_framework().key, deleted=deleted,
        content=domain.to_dict(content), links=links, attachments=(),
    )  # fmt: skip
    return revision.create(snapshot, parents=(), device_id="d1", created_at="2026-11-21T14:30:00.000000Z", private_key=KEY)


def marked(spans: tuple[Span, ...]) -> list[str]:
    return [s.text for s in spans if s.changed]


def test_only_the_words_that_differ_are_marked_on_each_side() -> None:
    ours, theirs = word_diff("Chair asks for the winter plan", "Chair asks for the spring plan by December")
    assert marked(ours) == ["winter"] and marked(theirs) == ["spring", "by December"]
    assert "".join(s.text for s in ours) == "Chair asks for the winter plan"  # nothing lost or added


def test_white_space_alone_is_never_marked() -> None:
    ours, theirs = word_diff("one  two\nthree", "one two\nthree")
    assert marked(ours) == [] and marked(theirs) == []


def test_a_long_note_with_one_word_changed_is_compared_quickly_and_marks_that_word() -> None:
    lines = [f"{i:05d}  the chair asks about discharge delays and the winter plan" for i in range(5000)]
    changed = list(lines)
    changed[2500] = changed[2500].replace("winter", "spring")
    ours, theirs = word_diff("\n".join(lines), "\n".join(changed))
    assert marked(ours) == ["winter"] and marked(theirs) == ["spring"]


def test_versions_read_field_by_field_with_differences_marked_and_collisions_flagged() -> None:
    base = domain.Interview(role="carer", pseudonym="Carer C4", consent=domain.Consent(True, "verbal"), notes="No respite for six weeks.")
    link = {"id": "l1", "statement": "safeguarding", "category": "peoples-experience", "comment": "", "passage": None}
    mine = _head(base)
    theirs = _head(domain.Interview(**{**base.__dict__, "notes": "No respite for eight weeks."}), links=(link,))
    ours, other = compare((mine, theirs), ["content.notes"])
    fields = {f.name: f for f in ours.fields}
    assert fields["notes"].collides and marked(fields["notes"].spans) == ["six"]
    assert not fields["pseudonym"].collides and marked(fields["pseudonym"].spans) == []
    assert fields["consent"].label == "Consent" and "Consent given: yes" in "".join(s.text for s in fields["consent"].spans)
    assert fields["role"].label == "Interviewee" and fields["role"].spans[0].text == "Carer, family member or advocate"
    tags = {f.name: f for f in other.fields}["tags"]
    assert marked(tags.spans) == ["Safeguarding × People's experience"]
    assert (ours.revision_id, ours.created_at) == (mine.id, "2026-11-21T14:30:00.000000Z")


def test_a_deleting_version_has_no_fields_and_the_other_is_not_marked_against_it() -> None:
    kept = _head(domain.Observation(title="ICB board"))
    gone = _head(domain.Observation(title="ICB board"), deleted=True)
    ours, theirs = compare((kept, gone), ["deleted"])
    assert theirs.deleted and theirs.fields == ()
    assert all(not s.changed for f in ours.fields for s in f.spans)


def test_a_collision_is_named_as_the_editor_names_the_field() -> None:
    case = domain.CaseTracking(contacts=(domain.Contact("c1", "GP"), domain.Contact("c2", "Ward")))
    body = _head(case).fields()
    assert collision_words("content.contacts.c2.service", body) == "Contact 2: service"
    assert collision_words("content.contacts.order", body) == "Order of the contacts"
    assert collision_words("content.pseudonym", body) == "Pseudonym"
    assert collision_words("links.0193a1b2", body) == "Tags"
    assert collision_words("deleted", body) == "deleting against editing"


@given(st.text(), st.text())
def test_marking_differences_never_loses_or_adds_a_character(ours: str, theirs: str) -> None:
    left, right = word_diff(ours, theirs)
    assert "".join(s.text for s in left) == ours and "".join(s.text for s in right) == theirs
    assert not any(s.changed and s.text.isspace() for s in (*left, *right))


def test_punctuation_next_to_a_word_does_not_mark_the_word() -> None:
    ours, theirs = word_diff("no respite for six weeks.", "no respite for six weeks in October.")
    assert marked(ours) == [] and marked(theirs) == ["in October"]
