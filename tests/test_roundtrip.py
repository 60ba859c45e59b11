"""Property tests: every kind of record, with any text, comes back exactly as it went in."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp import domain
from fieldapp.revisions import revision
from fieldapp.revisions.canonical import canonical_json
from fieldapp.vault import Vault

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
when = st.one_of(
    st.none(),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.replace(second=0, microsecond=0).isoformat(timespec="minutes")),
)
contacts = st.lists(
    st.builds(domain.Contact, id=st.uuids().map(str), service=text, date=when, what_happened=text, transition=text, persons_account=text),
    max_size=5,
).map(tuple)
contents = st.one_of(
    st.builds(
        domain.Observation,
        title=text,
        meeting_type=st.sampled_from(sorted(domain.MEETING_TYPES)),
        held_at=when,
        location=text,
        attendees=st.lists(st.builds(domain.Attendee, role=text, organisation=text), max_size=4).map(tuple),
        notes=text,
    ),
    st.builds(
        domain.Interview,
        title=text,
        role=st.sampled_from(sorted(domain.INTERVIEWEE_ROLES)),
        pseudonym=text,
        consent=st.builds(domain.Consent, given=st.booleans(), method=st.sampled_from(["", *domain.CONSENT_METHODS]), recorded_at=when),
        held_at=when,
        location=text,
        notes=text,
    ),
    st.builds(domain.CaseTracking, title=text, pseudonym=text, summary=text, contacts=contacts, notes=text),
    st.builds(
        domain.Document,
        title=text,
        document_type=st.sampled_from(sorted(domain.DOCUMENT_TYPES)),
        source_organisation=text,
        dated=st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())),
        reference=text,
        summary=text,
        notes=text,
        source=st.sampled_from(sorted(domain.SOURCES)),
    ),
    st.builds(
        domain.FocusGroup,
        title=text,
        held_at=when,
        groups_represented=st.lists(text, max_size=4).map(tuple),
        role=st.one_of(st.none(), st.sampled_from(sorted(domain.INTERVIEWEE_ROLES))),
        participants=st.integers(0, 10_000),
        facilitator=text,
        location=text,
        notes=text,
    ),
)
ids = st.lists(st.text(alphabet="abcdef0123456789-", min_size=1, max_size=12), max_size=3, unique=True).map(tuple)
names = st.lists(text.filter(str.strip), max_size=3, unique=True).map(tuple)
# Issue 15's context on any kind: set or left at its default, so both body formats round trip.
contents = st.tuples(contents, st.sampled_from(sorted(domain.SOURCES)), st.sampled_from(sorted(domain.SITES)), names, ids, ids).map(
    lambda c: dataclasses.replace(c[0], source=c[1], site=c[2], team=c[3], places=c[4], organisations=c[5])
) | contents


@given(contents)
def test_content_survives_its_canonical_json_exactly(content: domain.Content) -> None:
    data = domain.to_dict(content)
    assert domain.from_dict(content.kind, data) == content
    import json

    assert domain.from_dict(content.kind, json.loads(canonical_json(data))) == content


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=contents, second=contents)
def test_every_kind_round_trips_through_the_encrypted_vault_and_its_history(vault: Vault, first: domain.Content, second: domain.Content) -> None:
    # One vault serves every example (each fresh copy cost a deliberate ~0.5 s Argon2id unlock, 40
    # times over); each example makes its own assessment and record, so none reads another's.
    aid = vault.assessments.create("Property ICS").value.id
    rec = vault.records.create(aid, first).value
    first_rev = vault.records.cut_revision(rec.id).value
    if second.kind == first.kind:
        vault.records.save(rec.id, second)
        assert vault.records.get(rec.id).content == second
    assert vault.history.snapshot(first_rev.id).content == first
    signed = vault.history.signed(first_rev.id)
    assert revision.revision_id(signed.body) == signed.id
    assert vault.verify(attachments=False).ok
