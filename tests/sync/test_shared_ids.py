"""A teammate's record that reuses another record's link and attachment ids (security review,
finding 2): every laptop takes both records and keeps pulling, and each id stays its record's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sync_fixtures import Device, RawDevice, Service, raw_device
from vault_fixtures import sample_contents

from fieldapp.errors import ValidationError

STATEMENT = "safeguarding"


def _copying_ids(evil: RawDevice, honest: Device, assessment_id: str, record_id: str) -> str:
    """Push, from a teammate's device, a new record carrying the very link and attachment ids of
    the honest record (the service checks ids only within a record); returns its record id."""
    head = honest.vault.records.get(record_id).head_revision_id
    assert head is not None
    body = honest.vault.history.signed(head).fields()
    copy = evil.revision(assessment_id, links=tuple(body["links"]), attachments=tuple(body["attachments"]))
    answer = evil.push(copy)
    assert [ack["status"] for ack in answer.json()["acks"]] == ["accepted"], answer.text
    return copy.fields()["record_id"]


def _tagged_record_with_a_file(honest: Device, assessment_id: str, photo: Path, words: bytes) -> tuple[Any, Any, Any, Path]:
    """A record the honest laptop made, tagged and with a file attached, on the service."""
    honest.sync()  # learns the assessment
    rec = honest.vault.records.create(assessment_id, sample_contents()[0]).value
    link = honest.vault.links.tag(rec.id, STATEMENT).value
    photo.write_bytes(words * 3000)
    att = honest.vault.attachments.add(rec.id, photo).value
    honest.sync()
    return rec, link, att, photo


def test_a_record_reusing_another_records_link_and_attachment_ids_stops_no_ones_pulls(
    service: Service, make_device, tmp_path: Path  # noqa: ANN001
) -> None:
    assessment_id, (a, b, c) = service.team(inspectors=3)
    honest, victim = make_device(service, a, "honest"), make_device(service, c, "victim")
    evil = raw_device(service, b, "evil-teammate")
    rec, link, att, photo = _tagged_record_with_a_file(honest, assessment_id, tmp_path / "flipchart.jpg", b"\xff\xd8 a photo of the flipchart ")
    copy_id = _copying_ids(evil, honest, assessment_id, rec.id)

    for device in (victim, honest):  # the honest author pulls the copy of its own ids too
        report = device.sync()
        assert report.problems == [], report.problems
        for record_id in (rec.id, copy_id):
            got = device.vault.records.get(record_id)
            assert [x.id for x in got.links] == [link.id] and [x.id for x in got.attachments] == [att.id]
            assert device.vault.attachments.read_bytes(att.id, record_id=record_id) == photo.read_bytes()

    later = evil.revision(assessment_id)  # pulls still move on past the copy
    evil.push(later)
    assert victim.sync().problems == []
    assert victim.vault.records.get(later.fields()["record_id"]).title == "ICB board"
    assert victim.vault.verify().ok and honest.vault.verify().ok


def test_taking_a_shared_id_off_one_record_leaves_the_other_records_own(service: Service, make_device, tmp_path: Path) -> None:  # noqa: ANN001
    assessment_id, (a, b) = service.team(inspectors=2)
    honest = make_device(service, a, "honest")
    evil = raw_device(service, b, "evil-teammate")
    rec, link, att, photo = _tagged_record_with_a_file(honest, assessment_id, tmp_path / "minutes.pdf", b"%PDF minutes of the board ")
    copy_id = _copying_ids(evil, honest, assessment_id, rec.id)
    honest.sync()

    with pytest.raises(ValidationError, match="open it from its own record"):
        honest.vault.links.untag(link.id)  # without its record, the id names two links: never guessed
    with pytest.raises(ValidationError, match="open it from its own record"):
        honest.vault.attachments.read_bytes(att.id)
    honest.vault.links.untag(link.id, record_id=copy_id)
    honest.vault.attachments.remove(att.id, record_id=copy_id)

    kept = honest.vault.records.get(rec.id)
    assert [x.id for x in kept.links] == [link.id] and [x.id for x in kept.attachments] == [att.id]
    emptied = honest.vault.records.get(copy_id)
    assert emptied.links == () and emptied.attachments == ()
    assert honest.sync().problems == []
    assert honest.vault.replication.status().waiting == 0
    assert honest.vault.attachments.read_bytes(att.id, record_id=rec.id) == photo.read_bytes()
    assert honest.vault.verify().ok
