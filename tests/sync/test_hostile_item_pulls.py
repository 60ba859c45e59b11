"""What a laptop makes of a colleague's hostile or broken judgements, ratings and snapshots when it pulls
them (as an older or compromised service would pass them on): an item in another's place, a revision that
changes a held item's kind, content no honest app makes (oversized text, a score of 7, unknown fields,
thousands of key evidence references, references to another assessment's records). Each is refused in
words, the rest of the page is kept, and the judgement view still reads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sync_fixtures import Device, RawDevice, Service, colleagues, raw_device

from fieldapp import domain
from fieldapp.errors import NeedsUpdate, NotFound
from fieldapp.ids import uuid7
from fieldapp.item_kinds import MAX_TEXT
from fieldapp.judgements import judgement_id, rating_id
from fieldapp.replication.exchange import PulledDevice, PulledPage, PullReport
from fieldapp.revisions import revision

STAFFING, SAFEGUARDING = "safe-effective-staffing", "safeguarding"


def content_of(statement_id: str = STAFFING, **changes: object) -> dict:
    plain = domain.item_to_dict(domain.JudgementContent(statement_id, {"peoples-experience": domain.ScoreEntry(3)}))
    return {**plain, **changes}


def pulled(device: Device, raw: RawDevice, *revisions: revision.SignedRevision) -> PullReport:
    public = raw.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    page = PulledPage(revisions, (PulledDevice(raw.device_id, public, "colleague"),), (), device.vault.replication.cursor() or "")
    return device.vault.replication.apply_pull(page).value


@pytest.fixture
def laptop(service: Service, make_device: Callable[..., Device]) -> tuple[str, Device, RawDevice]:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    return assessment_id, amara, raw_device(service, service.team()[1][0], "colleague")


def an_honest_one(raw: RawDevice, assessment_id: str) -> revision.SignedRevision:
    return raw.revision(assessment_id, record_id=judgement_id(assessment_id, SAFEGUARDING), kind="judgement",
                        content=content_of(SAFEGUARDING))  # fmt: skip


@pytest.mark.parametrize("where", ["random id", "another statement's id", "the rating's id"])
def test_a_pulled_judgement_not_in_its_own_place_is_refused_and_the_rest_kept(laptop: tuple[str, Device, RawDevice], where: str) -> None:
    assessment_id, amara, raw = laptop
    record_id = {"random id": uuid7(), "another statement's id": judgement_id(assessment_id, SAFEGUARDING),
                 "the rating's id": rating_id(assessment_id)}[where]  # fmt: skip
    hostile = raw.revision(assessment_id, record_id=record_id, kind="judgement", content=content_of())
    honest = raw.revision(assessment_id, record_id=judgement_id(assessment_id, "equity-in-access"), kind="judgement",
                          content=content_of("equity-in-access"))  # fmt: skip
    report = pulled(amara, raw, hostile, honest)
    assert report.stored == 1 and any("does not have the id" in why for why in report.refused), report
    rows = {r.statement_id: r for r in amara.vault.judgements.list(assessment_id)}
    assert not rows[STAFFING].exists and not rows[SAFEGUARDING].exists and rows["equity-in-access"].exists
    assert amara.vault.judgements.rating(assessment_id).rules.key  # the rating still reads


def test_a_pulled_evidence_record_with_a_derived_id_is_refused(laptop: tuple[str, Device, RawDevice]) -> None:
    assessment_id, amara, raw = laptop
    squat = raw.revision(assessment_id, record_id=judgement_id(assessment_id, STAFFING))
    report = pulled(amara, raw, squat)
    assert report.stored == 0 and any("derived ids" in why for why in report.refused), report
    assert amara.vault.records.list(assessment_id) == ()


@pytest.mark.parametrize("then_kind", ["observation", "judgement", "rating"])
def test_a_pulled_revision_that_changes_a_held_snapshots_kind_is_refused(laptop: tuple[str, Device, RawDevice], then_kind: str) -> None:
    assessment_id, amara, raw = laptop
    made = amara.vault.judgements.snapshot(assessment_id).value
    with amara.vault.transaction("reading the snapshot's revision") as session:
        from sqlalchemy import text

        head = session.execute(text("SELECT head_revision_id FROM records WHERE id = :id"), {"id": made.id}).scalar_one()
    contents = {"observation": {"title": "Not a snapshot"}, "judgement": content_of(), "rating": {"rules": "cqc-ics-by-category@1",
                "final_score": 1, "reason": "Quietly"}}  # fmt: skip
    changed = raw.revision(assessment_id, record_id=made.id, kind=then_kind, content=contents[then_kind], parents=(head,))
    report = pulled(amara, raw, changed, an_honest_one(raw, assessment_id))
    assert report.stored == 1 and report.refused, report
    (kept,) = amara.vault.judgements.snapshots(assessment_id)
    assert kept.content == made.content and kept.verified
    assert amara.vault.verify(attachments=False).ok


def test_a_pulled_revision_that_changes_a_held_records_kind_is_refused(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, _ben, record_id = colleagues(service, make_device, domain.from_dict("observation", {"title": "Ward round"}))
    raw = raw_device(service, service.team()[1][0], "colleague")
    with amara.vault.transaction("reading the record's revision") as session:
        from sqlalchemy import text

        head = session.execute(text("SELECT head_revision_id FROM records WHERE id = :id"), {"id": record_id}).scalar_one()
    changed = raw.revision(assessment_id, record_id=record_id, kind="interview", content={"title": "Not a ward round"}, parents=(head,))
    report = pulled(amara, raw, changed)
    assert report.refused, report
    assert amara.vault.records.get(record_id).kind == "observation"


HOSTILE = {
    "oversized text": {"strengths": "x" * (MAX_TEXT + 1)},
    "a score of 7": {"scores": {"peoples-experience": {"score": 7, "basis": "updated", "evidence_date": ""}}},
    "an unknown field": {"colour": "red"},
    "an unknown category": {"scores": {"no-such-category": {"score": 2, "basis": "updated", "evidence_date": ""}}},
    "20,000 key evidence references": {"key_evidence": [{"record_id": f"{i:036}", "link_id": ""} for i in range(20_000)]},
    "a whole-statement score beside category scores": {"scores": {"statement": {"score": 1, "basis": "updated", "evidence_date": ""},
                                                                  "outcomes": {"score": 4, "basis": "updated", "evidence_date": ""}}},
    "a score that is text": {"scores": {"peoples-experience": {"score": "3", "basis": "updated", "evidence_date": ""}}},
}


@pytest.mark.parametrize("what", list(HOSTILE))
def test_hostile_judgement_content_is_refused_in_words_and_the_view_still_reads(laptop: tuple[str, Device, RawDevice], what: str) -> None:
    assessment_id, amara, raw = laptop
    hostile = raw.revision(assessment_id, record_id=judgement_id(assessment_id, STAFFING), kind="judgement",
                           content=content_of(**HOSTILE[what]))  # fmt: skip
    report = pulled(amara, raw, hostile, an_honest_one(raw, assessment_id))
    assert report.stored >= 1
    rows = {r.statement_id: r for r in amara.vault.judgements.list(assessment_id)}
    assert rows[SAFEGUARDING].exists
    if what == "an unknown category":  # valid content for a framework with that category: kept, never rolled up
        assert rows[STAFFING].exists and rows[STAFFING].result is None
    elif what.startswith("a whole-statement score"):  # valid for other rules: kept; these rules roll up what they score
        assert rows[STAFFING].exists
    else:
        assert report.refused and not rows[STAFFING].exists, report
    amara.vault.judgements.rating(assessment_id)
    amara.vault.judgements.evidence(assessment_id, STAFFING)
    amara.vault.judgements.history(assessment_id)


def test_key_evidence_naming_an_item_is_shown_as_a_record_no_longer_here_not_by_its_title(laptop: tuple[str, Device, RawDevice]) -> None:
    assessment_id, amara, raw = laptop
    other = amara.vault.judgements.snapshot(assessment_id).value.id  # an item: not evidence at all
    refs = [{"record_id": other, "link_id": ""}]
    hostile = raw.revision(assessment_id, record_id=judgement_id(assessment_id, STAFFING), kind="judgement",
                           content=content_of(key_evidence=refs))  # fmt: skip
    report = pulled(amara, raw, hostile)
    assert report.stored == 1, report
    shown = amara.vault.judgements.evidence(assessment_id, STAFFING)
    titles = [item.title for _cid, _name, items in shown.by_category for item in items]
    assert titles and not any("Published" in t or "snapshot" in t.lower() for t in titles), titles


@pytest.mark.parametrize("kind", ["judgement", "observation"])
@pytest.mark.parametrize("field", ["record_id", "assessment_id"])
def test_a_pulled_revision_naming_its_id_or_assessment_as_a_number_is_refused_off_thread_and_on(
    laptop: tuple[str, Device, RawDevice], field: str, kind: str
) -> None:
    from fieldapp.replication import arrivals

    assessment_id, amara, raw = laptop
    record_id = judgement_id(assessment_id, STAFFING) if kind == "judgement" else uuid7()
    names = {"record_id": record_id, "assessment_id": assessment_id, field: 5}
    content = content_of() if kind == "judgement" else {"title": "Ward round"}
    snap = revision.Snapshot(names["record_id"], names["assessment_id"], kind, "cqc-ics@2024.1", False, content, (), ())  # type: ignore[arg-type]
    hostile = revision.create(snap, parents=(), device_id=raw.device_id, created_at="2026-12-06T10:00:00.000000Z", private_key=raw.key)  # type: ignore[arg-type]
    public = raw.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    assert arrivals.precheck([hostile], {raw.device_id: public}) == {}  # the off-thread check drops it, never raises
    report = pulled(amara, raw, hostile, an_honest_one(raw, assessment_id))
    assert report.stored == 1 and report.refused, report


def test_a_page_with_a_snapshots_second_root_child_and_merge_takes_its_first_root_only(laptop: tuple[str, Device, RawDevice]) -> None:
    from fieldapp.revisions import graph

    assessment_id, amara, raw = laptop
    snapshot_id = uuid7()
    content = domain.item_to_dict(domain.SnapshotContent("published", "2026-12-04", "First", "cqc-ics-by-category@1"))
    one = raw.revision(assessment_id, record_id=snapshot_id, kind="rating_snapshot", content=content)
    two = raw.revision(assessment_id, record_id=snapshot_id, kind="rating_snapshot", content=content, created_at="2026-12-05T10:00:00.000000Z")
    child = raw.revision(assessment_id, record_id=snapshot_id, kind="rating_snapshot", content={**content, "note": "Changed"}, parents=(one.id,))
    merged = graph.auto_merge(None, *sorted((one, two), key=lambda r: r.id))
    assert isinstance(merged, revision.SignedRevision)
    report = pulled(amara, raw, one, two, child, merged)
    assert report.stored == 1 and sum("never changes once made" in why for why in report.refused) == 3, report
    (kept,) = amara.vault.judgements.snapshots(assessment_id)
    assert kept.id == snapshot_id and kept.content.note == "First" and kept.verified


def test_a_pulled_rating_naming_rules_this_app_does_not_know_leaves_the_judgements_readable(laptop: tuple[str, Device, RawDevice]) -> None:
    assessment_id, amara, raw = laptop
    unknown = {"rules": "cqc-ics-from-the-future@9", "final_score": None, "reason": ""}
    report = pulled(amara, raw, raw.revision(assessment_id, record_id=rating_id(assessment_id), kind="rating", content=unknown),
                    an_honest_one(raw, assessment_id))  # fmt: skip
    assert report.stored == 2, report
    rows = {r.statement_id: r for r in amara.vault.judgements.list(assessment_id)}  # listed, without results under other rules
    assert rows[SAFEGUARDING].exists and rows[SAFEGUARDING].result is None
    assert amara.vault.judgements.get(assessment_id, SAFEGUARDING).exists
    amara.vault.judgements.evidence(assessment_id, SAFEGUARDING)
    for reading in (amara.vault.judgements.rating, amara.vault.judgements.rules):
        with pytest.raises(NotFound, match="update fieldapp"):
            reading(assessment_id)
    with pytest.raises(NeedsUpdate, match="update fieldapp"):  # scores are not given under rules this app cannot apply
        amara.vault.judgements.save(assessment_id, STAFFING, domain.JudgementContent(STAFFING, {"outcomes": domain.ScoreEntry(2)}))


def test_a_pulled_judgement_tombstone_is_refused_and_scoring_here_goes_on(laptop: tuple[str, Device, RawDevice]) -> None:
    assessment_id, amara, raw = laptop
    item_id = judgement_id(assessment_id, STAFFING)
    first = raw.revision(assessment_id, record_id=item_id, kind="judgement", content=content_of())
    gone = raw.revision(assessment_id, record_id=item_id, kind="judgement", content=content_of(), parents=(first.id,), deleted=True)
    report = pulled(amara, raw, first, gone)
    assert report.stored == 1 and any("never deleted" in why for why in report.refused), report
    assert amara.vault.judgements.get(assessment_id, STAFFING).exists
    saved = amara.vault.judgements.save(assessment_id, STAFFING, domain.JudgementContent(STAFFING, {"outcomes": domain.ScoreEntry(2)})).value
    assert saved.exists and {k: e.score for k, e in saved.content.scores.items()} == {"outcomes": 2}
    assert amara.vault.judgements.get(assessment_id, STAFFING).exists
    assert amara.vault.judgements.rating(assessment_id).rollup.scored == 1
