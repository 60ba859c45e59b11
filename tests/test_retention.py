"""Retention (issue 16) in the core: only evidence the service holds whole, acknowledged where a concern
was raised from it, and unchanged for longer than its assessment's period leaves the laptop; its list
entry stays, marked kept on the service. A real vault synced with the real service (in process, SQLite),
its clock moved forward."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sync_fixtures import Device, Service
from test_migrations import _back_to_0014
from vault_fixtures import PASSPHRASE, plaintext_pages

from fieldapp import domain, sync_state
from fieldapp.errors import IntegrityError, KeptOnService
from fieldapp.ids import utcnow
from fieldapp.item_kinds import ConcernContent
from fieldapp.revisions import revision
from fieldapp.rows import Passage
from fieldapp.storage import backup
from fieldapp.vault import Vault
from sync.server import admin

DAYS = 90
LATER = timedelta(days=DAYS + 1)


def laptop(service: Service, make_device: Callable[..., Device], days: int | None = DAYS) -> tuple[str, Device]:
    assessment_id, (inspector,) = service.team()
    with service.admin() as session:
        admin.set_retention(session, assessment_id, days)
    device = make_device(service, inspector)
    device.sync()
    return assessment_id, device


def at(vault: Vault, moment: datetime) -> None:
    """The laptop's clock (Vault(clock=…)) reads `moment` from now on."""
    vault.clock = lambda: moment


def interview(words: str) -> domain.Interview:
    return domain.Interview(title=f"Carer interview {words}", role="carer", notes=f"She said {words} about respite")


def test_only_synced_evidence_older_than_the_period_leaves_and_its_list_entry_stays(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, device = laptop(inprocess_sqlite_service, make_device)
    vault = device.vault
    old = vault.records.create(assessment_id, interview("marmalade")).value
    vault.links.tag(old.id, "safeguarding", "peoples-experience", comment="marmalade matters")
    vault.attachments.add(old.id, io.BytesIO(b"recording " * 1000), name="carer.m4a")
    fresh = vault.records.create(assessment_id, interview("porridge")).value
    device.sync()
    assert vault.assessments.get(assessment_id).retention_days == DAYS

    at(vault, utcnow() + LATER)
    vault.records.save(fresh.id, interview("porridge, later"))  # changed 91 days on: not old any more
    purged = device.sync().purged  # every sync round ends with a purge

    assert (purged.records, purged.files) == (1, 1) and purged.revisions >= 1 and purged.file_bytes == 10_000
    (audited,) = [e for e in vault.audit.entries() if e.kind == "purge"]  # counts only, never what was removed
    assert audited.detail == {"records": 1, "revisions": purged.revisions, "files": 1, "file_bytes": 10_000}
    (entry,) = [s for s in vault.records.list(assessment_id) if s.id == old.id]
    assert entry.sync_state == sync_state.KEPT and entry.title == "Carer interview marmalade"
    assert entry.statement_ids == ("safeguarding",)  # the tags stay: coverage still counts it
    assert vault.search("marmalade").items == () and [s.id for s in vault.search("porridge").items] == [fresh.id]
    with pytest.raises(KeptOnService, match="kept on the service"):
        vault.records.get(old.id)
    with pytest.raises(KeptOnService):
        vault.records.save(old.id, interview("typed into nothing"))
    with pytest.raises(KeptOnService):
        vault.history.entries(old.id)
    assert list((vault.path / "attachments").iterdir()) == []  # its file is gone from the disk
    assert vault.verify().problems == ()
    assert vault.records.get(fresh.id).content.notes == "She said porridge, later about respite"
    with vault.transaction("checking") as session:  # SQLCipher's own default: freed pages are zeroed
        assert session.execute(sa.text("PRAGMA secure_delete")).scalar() == 1


def test_unsynced_edits_dirty_drafts_dates_typed_in_words_and_an_unacknowledged_concern_keep_their_records(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    service = inprocess_sqlite_service
    assessment_id, device = laptop(service, make_device)
    vault = device.vault
    edited, dirty, concerned, typed, plain = (
        vault.records.create(assessment_id, interview(w)).value for w in ("one", "two", "three", "five", "four")
    )
    concern = vault.concerns.raise_concern(assessment_id, ConcernContent("safeguarding", "soon", "Heard about a fall", record_id=concerned.id)).value
    device.sync()

    at(vault, utcnow() + LATER)
    vault.records.save(edited.id, interview("one, edited offline"))
    vault.records.cut_revision(edited.id)  # a revision the service does not hold yet
    vault.records.save(dirty.id, interview("two, still being typed"))  # a draft not cut
    kept_as_typed = vault.records.save_edit(typed.id, interview("five"), base=interview("five"), as_typed={"held_at": "Tuesday-ish"})
    assert kept_as_typed.value.record.as_typed == {"held_at": "Tuesday-ish"}  # words in a date field, beside a clean draft
    assert vault.retention.purge().changes.records == {plain.id}
    assert (vault.path / "vault.db-wal").stat().st_size == 0  # no earlier copy of its pages left in the log
    assert {s.id: s.sync_state for s in vault.records.list(assessment_id)}[plain.id] == sync_state.KEPT
    for record_id in (edited.id, dirty.id, concerned.id, typed.id):
        assert vault.records.get(record_id).content.notes.startswith("She said")

    with service.admin() as session:  # the office acknowledges it: the record may go once the laptop knows
        admin.acknowledge_concern(session, concern.id, "Referred to the local authority", by="Safeguarding desk")
    at(vault, utcnow())
    device.sync()
    at(vault, utcnow() + LATER * 2)
    assert vault.retention.purge().changes.records == {edited.id, dirty.id, concerned.id}
    assert vault.records.get(typed.id).as_typed == {"held_at": "Tuesday-ish"}  # never sent: it stays until fixed


def test_an_assessment_without_a_period_keeps_everything_and_the_record_open_in_the_editor_stays(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    service = inprocess_sqlite_service
    assessment_id, device = laptop(service, make_device, days=None)
    vault = device.vault
    shown, other = (vault.records.create(assessment_id, interview(w)).value for w in ("open", "closed"))
    device.sync()
    at(vault, utcnow() + LATER * 40)
    assert vault.retention.purge().value.records == 0
    with service.admin() as session:
        admin.set_retention(session, assessment_id, DAYS)
    assert device.sync(keep=lambda: {shown.id}).changes.records >= {other.id}
    assert [s.id for s in vault.records.list(assessment_id) if s.sync_state == sync_state.KEPT] == [other.id]
    assert vault.records.get(shown.id).content.notes == "She said open about respite"


def test_a_record_comes_back_only_as_the_very_revisions_this_laptop_held(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, device = laptop(inprocess_sqlite_service, make_device)
    vault = device.vault
    record = vault.records.create(assessment_id, interview("lemon curd")).value
    device.sync()
    (held,) = [vault.history.signed(r.id) for r in vault.history.revisions(record.id)]
    at(vault, utcnow() + LATER)
    assert vault.retention.purge().value.records == 1

    altered = revision.SignedRevision(held.id, held.body.replace(b"lemon curd", b"lemon tart"), held.signature)
    for answer in ([], [altered]):  # nothing sent back, or other words under its id: nothing changes
        with pytest.raises(IntegrityError):
            vault.retention.restore(record.id, answer)
        with pytest.raises(KeptOnService):
            vault.records.get(record.id)
    assert vault.retention.restore(record.id, [held]).value.content.notes == "She said lemon curd about respite"
    assert vault.records.get(record.id).sync_state == "synced" and [s.id for s in vault.search("curd").items] == [record.id]


def test_a_quoted_record_stays_and_a_published_report_citing_a_purged_one_says_it_is_kept_on_the_service_not_altered(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, device = laptop(inprocess_sqlite_service, make_device)
    vault = device.vault
    record = vault.records.create(assessment_id, interview("crumble")).value
    link = vault.links.tag(record.id, "safeguarding", "peoples-experience", passage=Passage("notes", 0, 8, "She said")).value
    vault.report_texts.choose_quotations(assessment_id, [(record.id, link.id)])
    published = vault.published.publish(assessment_id).value
    seal = vault.published.report(published.id).seal
    assert seal is not None and record.id in {c.record_id for c in seal.manifest}
    device.sync()
    at(vault, utcnow() + LATER)
    assert vault.retention.purge().value.records == 0  # a passage quoted in the report: the report reads its words here
    vault.report_texts.choose_quotations(assessment_id, [])
    assert vault.retention.purge().value.records == 1

    *_, cited = vault.published.check(seal)
    assert not cited.holds and "kept on the service" in cited.words and "altered" not in cited.words


def test_a_purged_records_words_leave_the_search_index_itself_not_only_its_answers(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, device = laptop(inprocess_sqlite_service, make_device)
    vault = device.vault
    vault.records.create(assessment_id, domain.Observation(title="Board", notes="qqxylophonezz said in the meeting"))
    device.sync()
    at(vault, utcnow() + LATER)
    assert device.sync().purged.records == 1
    with vault.transaction("checking") as session:
        index = b"".join(session.execute(sa.text("SELECT block FROM record_fts_data")).scalars())
    assert b"ylophonezz" not in index


def backup_words(vault: Vault) -> list[bytes]:
    """Each backup's every page decrypted with the vault's database key, as backup.make wrote it."""
    return [plaintext_pages(info.path, vault.database_key()) for info in backup.list_backups(vault.path)]


def test_a_purge_leaves_no_purged_words_in_any_backup_and_the_newest_still_restores_a_vault_whose_records_come_back_on_sync(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, device = laptop(inprocess_sqlite_service, make_device)
    vault = device.vault
    said = domain.Interview(title="Carer interview", role="carer", notes="She said marmalade about respite")  # a title stays
    old = vault.records.create(assessment_id, said).value
    vault.links.tag(old.id, "safeguarding", "peoples-experience", comment="quinceberry matters")
    vault.backup("before-sync")  # its draft only, no revision yet
    device.sync()
    vault.backup("after-sync")  # its revision's body too
    at(vault, utcnow() + LATER)
    fresh = vault.records.create(assessment_id, interview("porridge")).value
    vault.backup("later")
    assert all(b"marmalade" in words and b"quinceberry" in words for words in backup_words(vault))  # the pages read as written

    assert device.sync().purged.records == 1
    kept = backup_words(vault)
    assert len(kept) == 3 and all(b"marmalade" not in words and b"quinceberry" not in words for words in kept)
    assert b"porridge" in kept[0]  # the newest backup keeps what was not purged
    assert [p.name for p in vault.backups_path.iterdir() if not p.name.endswith((".db", ".header"))] == []  # no log beside them

    vault.lock()
    backup.restore(vault.path)
    vault.unlock(passphrase=PASSPHRASE)
    assert vault.verify().problems == ()
    assert vault.records.get(fresh.id).content.notes == "She said porridge about respite"
    device.sync()
    (entry,) = [s for s in vault.records.list(assessment_id) if s.id == old.id]
    assert entry.sync_state == sync_state.KEPT and entry.title == "Carer interview"
    with pytest.raises(KeptOnService):
        vault.records.get(old.id)
    assert vault.verify().problems == ()
    assert device.fetch_again(old.id).notes == "She said marmalade about respite"  # whole again from the service


def test_a_backup_of_an_older_schema_that_holds_purged_words_or_that_no_longer_opens_is_removed_and_one_that_holds_none_stays(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, device = laptop(inprocess_sqlite_service, make_device)
    vault = device.vault
    first = vault.backup("before-migration-0014")  # before any record
    old = vault.records.create(assessment_id, interview("marmalade")).value
    second = vault.backup("before-migration-0014")
    for made in (first, second):  # as a backup made before 0015 was applied
        with backup.changing(made, vault.database_key(), doing="going back to 0014") as session:
            _back_to_0014(session.connection())
    damaged = vault.backup("manual")
    with damaged.path.open("r+b") as file:  # its first page, the schema's, fails its check
        file.seek(200)
        file.write(b"\xff" * 64)
    device.sync()
    at(vault, utcnow() + LATER)

    assert vault.retention.purge().changes.records == {old.id}
    assert [b.name for b in backup.list_backups(vault.path)] == [first.name]  # the others could not be purged: gone
    assert not second.path.with_suffix(".header").exists() and not damaged.path.with_suffix(".header").exists()
