"""Schema migrations: the first schema upgrades, a newer one is refused untouched, backups rotate."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.config import Config
from vault_fixtures import PASSPHRASE, TEST_KDF, sample_contents

from fieldapp import records
from fieldapp.storage import backup, keys, migrate, sqlcipher
from fieldapp.errors import BackupError, VaultDamaged, VaultTooNew
from fieldapp.links import passage_of
from fieldapp.replication import exchange
from fieldapp.storage.models import Base
from fieldapp.vault import Vault


def _engine(path: Path, passphrase: str = PASSPHRASE):
    header = keys.read_header(path / "vault.header")
    data_key = keys.unwrap_with_passphrase(header, passphrase)
    return sqlcipher.create_engine(path / "vault.db", keys.subkey(data_key, "database"))


def test_the_known_revisions_match_the_migration_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    chain = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(chain) == migrate.KNOWN and script.get_current_head() == migrate.HEAD


def test_the_migrated_schema_matches_the_models(vault_path: Path) -> None:
    engine = _engine(vault_path)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": migrate.include_name})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def _back_to_0014(connection: sa.Connection) -> None:
    """Undo 0015: no retention period, no record's content kept on the service only."""
    connection.exec_driver_sql("ALTER TABLE records DROP COLUMN purged_at")
    connection.exec_driver_sql("ALTER TABLE assessments DROP COLUMN retention_days")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0014'")


def _back_to_0013(connection: sa.Connection) -> None:
    """Undo 0015 and 0014: no audit log (its triggers go with its table)."""
    _back_to_0014(connection)
    connection.exec_driver_sql("DROP TABLE audit_entries")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0013'")


def _back_to_0010(connection: sa.Connection) -> None:
    """Undo 0015, 0014, 0013 and 0011: teams of names, without roles; no audit log, retention or acknowledgements of concerns kept."""
    _back_to_0013(connection)
    connection.exec_driver_sql("ALTER TABLE assessments DROP COLUMN members")
    connection.exec_driver_sql("DROP TABLE concern_states")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0010'")


def _back_to_0009(connection: sa.Connection) -> None:
    """Undo 0013, 0011 and 0010: assessments that know no lead inspector."""
    _back_to_0010(connection)
    connection.exec_driver_sql("ALTER TABLE assessments DROP COLUMN lead_name")
    connection.exec_driver_sql("ALTER TABLE assessments DROP COLUMN lead_id")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0009'")


def _back_to_0008(connection: sa.Connection) -> None:
    """Undo 0010 and 0009: revisions without the index of what was sent and refused."""
    _back_to_0009(connection)
    connection.exec_driver_sql("DROP INDEX ix_revisions_sent_state")
    connection.exec_driver_sql("CREATE INDEX ix_revisions_pushed ON revisions (pushed)")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0008'")


def _back_to_0007(connection: sa.Connection) -> None:
    """Undo 0009 and 0008: no assessment archived on this laptop."""
    _back_to_0008(connection)
    connection.exec_driver_sql("ALTER TABLE assessments DROP COLUMN archived")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0007'")


def _back_to_0006(connection: sa.Connection) -> None:
    """Undo 0009, 0008 and 0007: devices named by one label, no inspector apart."""
    _back_to_0007(connection)
    connection.exec_driver_sql("ALTER TABLE devices DROP COLUMN inspector")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0006'")


def _back_to_0005(connection: sa.Connection) -> None:
    """Undo 0007 and 0006: no text kept as typed beside the drafts."""
    _back_to_0006(connection)
    connection.exec_driver_sql("ALTER TABLE record_content DROP COLUMN as_typed")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0005'")


def _back_to_0004(connection: sa.Connection) -> None:
    """Undo 0007 to 0005: no index of dirty drafts."""
    _back_to_0005(connection)
    connection.exec_driver_sql("DROP INDEX ix_records_dirty")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0004'")


def _back_to_0003(connection: sa.Connection) -> None:
    """Undo 0007 to 0004: links and attachments keyed by their id alone, no auto-merge awaiting a check."""
    _back_to_0004(connection)
    for table in ("links", "attachments"):
        create = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one()
        indexes = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
        ).scalars().all()
        assert "PRIMARY KEY (record_id, id)" in create
        connection.exec_driver_sql(f"ALTER TABLE {table} RENAME TO {table}_0004")
        connection.exec_driver_sql(create.replace("PRIMARY KEY (record_id, id)", "PRIMARY KEY (id)"))
        connection.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM {table}_0004")
        connection.exec_driver_sql(f"DROP TABLE {table}_0004")
        for index in indexes:
            connection.exec_driver_sql(index)
    connection.exec_driver_sql("CREATE INDEX ix_attachments_record_id ON attachments (record_id)")
    connection.exec_driver_sql("ALTER TABLE revisions DROP COLUMN awaiting_check")
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0003'")


def _vault_at_first_schema(path: Path) -> tuple[list[str], str]:
    """A vault as the first release made it: schema 0001, no search index, one assessment with records."""
    created = Vault.create(path, PASSPHRASE, kdf=TEST_KDF)
    v = created.vault
    aid = v.assessments.create("Old ICS").value.id
    ids = [v.records.create(aid, c).value.id for c in sample_contents()]
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0003(connection)
        connection.exec_driver_sql("DROP TABLE record_fts_vocab")  # 0002
        connection.exec_driver_sql("DROP TABLE record_fts")
        for table, column in (("assessments", "on_service"), ("assessments", "service_note"),
                              ("blobs", "uploaded"), ("revisions", "rejected")):  # fmt: skip
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")  # 0003
        connection.exec_driver_sql("DROP TABLE frameworks")
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    engine.dispose()
    return ids, aid


def test_a_vault_made_by_the_first_schema_is_backed_up_then_upgraded_on_unlock(tmp_path: Path) -> None:
    path = tmp_path / "v"
    ids, _ = _vault_at_first_schema(path)
    assert backup.list_backups(path) == ()
    v = Vault.open(path, passphrase=PASSPHRASE)
    (made,) = backup.list_backups(path)
    assert made.reason == "before-migration-0001"
    assert [r.id for r in v.search("respite").items] == [ids[1]]  # the new index was filled
    assert v.verify().ok
    v.lock()
    engine = _engine(path)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD
    engine.dispose()


def test_a_vault_at_schema_0003_keeps_every_link_attachment_and_revision_when_they_are_keyed_by_record(tmp_path: Path) -> None:
    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    aid = v.assessments.create("Old ICS").value.id
    ids = [v.records.create(aid, c).value.id for c in sample_contents()]
    v.links.tag(ids[0], "safeguarding", comment="chair on winter plan")
    v.links.tag(ids[1], "equity-in-access", passage=passage_of(sample_contents()[1], "notes", 0, 9))
    v.attachments.add(ids[1], io.BytesIO(b"interview audio " * 4000), name="interview.m4a")
    v.records.cut_all(reason="test")
    before = {record_id: v.records.get(record_id) for record_id in ids}
    history = {record_id: v.history.revisions(record_id) for record_id in ids}
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0003(connection)
    engine.dispose()

    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0003"]
    assert {record_id: v.records.get(record_id) for record_id in ids} == before
    assert {record_id: v.history.revisions(record_id) for record_id in ids} == history
    (att,) = before[ids[1]].attachments
    assert v.attachments.read_bytes(att.id, record_id=ids[1]) == b"interview audio " * 4000
    assert v.verify().ok
    v.lock()
    engine = _engine(path)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD
        inspector = sa.inspect(connection)
        assert [inspector.get_pk_constraint(t)["constrained_columns"] for t in ("links", "attachments")] == [["record_id", "id"]] * 2
        diff = compare_metadata(MigrationContext.configure(connection, opts={"include_name": migrate.include_name}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_a_vault_at_schema_0004_gets_an_index_of_unsaved_drafts_that_the_sync_start_uses(tmp_path: Path) -> None:
    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    aid = v.assessments.create("Old ICS").value.id
    _saved, unsaved = (v.records.create(aid, c).value.id for c in sample_contents()[:2])
    v.lock()  # cuts every draft
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0004(connection)
        # as a laptop that went flat with words typed since the last revision leaves it
        connection.exec_driver_sql("UPDATE records SET draft_dirty = 1 WHERE id = ?", (unsaved,))
    engine.dispose()

    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0004"]
    assert [cut.record_id for cut in v.records.cut_all(reason="test").value] == [unsaved]
    v.lock()
    engine = _engine(path)
    with engine.connect() as connection:
        sql = str(records._DIRTY_RECORDS.compile(connection, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    engine.dispose()
    assert "ix_records_dirty" in plan  # the query is written so that the partial index serves it


def test_a_vault_at_schema_0006_keeps_its_device_labels_and_learns_inspectors_apart(tmp_path: Path) -> None:
    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    own = v.device_id
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0006(connection)
        # as an older service named a colleague's laptop, before it sent the inspector apart
        connection.exec_driver_sql("INSERT INTO devices (id, public_key, label) VALUES ('d2', x'00', 'Amara Okafor – Amara''s laptop')")
    engine.dispose()

    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0006"]
    signers = v.history.signers()
    assert (signers["d2"].laptop, signers["d2"].inspector) == ("Amara Okafor – Amara's laptop", "")
    assert signers["d2"].words() == "Amara Okafor – Amara's laptop" and signers[own].words() == "you, on this laptop"
    v.lock()


def test_a_vault_from_a_newer_fieldapp_is_refused_and_not_modified(vault_path: Path) -> None:
    engine = _engine(vault_path)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()  # the last connection closing folds the WAL into vault.db
    before = {p.name: p.read_bytes() for p in vault_path.iterdir() if p.is_file() and not p.name.endswith(("-wal", "-shm"))}
    with pytest.raises(VaultTooNew, match="newer version"):
        Vault.open(vault_path, passphrase=PASSPHRASE)
    after = {p.name: p.read_bytes() for p in vault_path.iterdir() if p.is_file() and not p.name.endswith(("-wal", "-shm"))}
    assert before == after
    assert not (vault_path / "backups").exists()


def test_backups_rotate_keeping_the_newest_five(vault: Vault, vault_path: Path) -> None:
    made = [vault.backup(f"manual {i}").name for i in range(7)]
    kept = [b.name for b in backup.list_backups(vault_path)]
    assert kept == list(reversed(made))[:5]
    assert len(list((vault_path / "backups").glob("*.header"))) == 5


def test_a_backup_is_ciphertext_under_the_same_key(vault: Vault, vault_path: Path, assessment_id: str) -> None:
    vault.records.create(assessment_id, sample_contents()[1])
    info = vault.backup()
    assert b"respite" not in info.path.read_bytes() and b"SQLite format 3" not in info.path.read_bytes()


def test_a_damaged_database_is_restored_from_the_newest_good_backup(vault: Vault, vault_path: Path, assessment_id: str) -> None:
    rec = vault.records.create(assessment_id, sample_contents()[2]).value
    vault.backup("before trip")
    vault.lock()
    db = vault_path / "vault.db"
    data = bytearray(db.read_bytes())
    for offset in range(100, len(data), 4096):  # one flipped byte on every page
        data[offset] ^= 0xFF
    db.write_bytes(bytes(data))
    with pytest.raises(VaultDamaged):
        Vault.open(vault_path, passphrase=PASSPHRASE)
    aside = backup.restore(vault_path)
    assert (aside / "vault.db").exists()
    v = Vault.open(vault_path, passphrase=PASSPHRASE)
    assert v.records.get(rec.id).content == sample_contents()[2]
    assert v.verify().ok
    v.lock()


def test_restoring_with_no_backup_says_so(vault_path: Path) -> None:
    with pytest.raises(BackupError, match="no backups"):
        backup.restore(vault_path)


def test_a_vault_at_schema_0007_shows_every_assessment_and_can_archive_one(tmp_path: Path) -> None:
    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    ids = [v.assessments.create(name).value.id for name in ("Old ICS", "Older ICS")]
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0007(connection)
    engine.dispose()

    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0007"]
    assert [(a.id, a.archived) for a in v.assessments.list()] == [(ids[0], False), (ids[1], False)]
    v.assessments.set_archived(ids[1], True)
    assert [a.archived for a in v.assessments.list()] == [False, True]
    v.lock()


def test_the_sync_status_counts_what_waits_and_what_was_refused_from_an_index_alone(vault: Vault) -> None:
    # Read after every autosave: a scan of the revisions' encrypted pages took 0.3 s at ten thousand records.
    with vault.transaction("explaining") as session:
        connection = session.connection()
        for statement in (exchange.COUNT_WAITING, exchange.COUNT_REFUSED):
            compiled = statement.compile(dialect=connection.dialect)
            params = tuple(compiled.construct_params()[name] for name in compiled.positiontup or ())
            plan = " ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params))
            assert "COVERING INDEX ix_revisions_sent_state" in plan, plan


def test_a_vault_at_schema_0009_keeps_its_assessments_and_knows_no_lead_until_the_service_names_one(tmp_path: Path) -> None:
    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    made = v.assessments.create("Northshire ICS").value.id
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0009(connection)
    engine.dispose()

    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0009"]
    row = v.assessments.get(made)
    assert (row.name, row.lead, row.lead_id, row.i_lead) == ("Northshire ICS", None, None, True)
    v.lock()


def test_a_vault_made_before_concerns_is_backed_up_then_keeps_its_records_and_can_raise_and_keep_acknowledged_concerns(tmp_path: Path) -> None:
    from fieldapp.concerns import Acknowledgement
    from fieldapp.item_kinds import ConcernContent

    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    aid = v.assessments.create("Northshire ICS").value.id
    ids = [v.records.create(aid, c).value.id for c in sample_contents()]
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0010(connection)
    engine.dispose()

    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0010"]
    assert sorted(r.id for r in v.records.list(aid)) == sorted(ids)
    raised = v.concerns.raise_concern(aid, ConcernContent("risk_of_harm", "soon", "A waiting list of 14 months.", record_id=ids[0])).value
    v.concerns.acknowledge([Acknowledgement(raised.id, "The office", "2026-12-07T09:00:00+00:00", "Noted")])
    assert v.concerns.get(raised.id).state == "acknowledged"
    v.lock()
    engine = _engine(path)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD
    engine.dispose()


def test_a_vault_at_schema_0010_is_backed_up_and_its_team_becomes_inspectors_with_the_services_lead(tmp_path: Path) -> None:
    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    led = v.assessments.create("Northshire ICS", team=("Ann Lee", "Bo Ray")).value.id
    local = v.assessments.create("Westshire ICS", team=("Cy Dee",)).value.id
    v.places.add(led, "North Place", "locality")  # an item: no schema of its own, kept as it was
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0010(connection)
        connection.exec_driver_sql("UPDATE assessments SET lead_id = 'i-1', lead_name = 'Bo Ray', on_service = 1 WHERE id = ?", (led,))
    engine.dispose()

    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0010"]
    row = v.assessments.get(led)
    assert row.team == ("Ann Lee", "Bo Ray") and row.lead == "Bo Ray"
    assert [(m.name, m.role, m.role_label) for m in row.members] == [("Ann Lee", "inspector", "Inspector"), ("Bo Ray", "lead", "Lead inspector")]
    assert [(m.name, m.role) for m in v.assessments.get(local).members] == [("Cy Dee", "inspector")]
    assert [p.name for p in v.places.list(led)] == ["North Place"]
    v.assessments.set_team(local, [("Cy Dee", "lead"), ("Di Fox", "expert_by_experience")])
    assert [m.role_label for m in v.assessments.get(local).members] == ["Lead inspector", "Expert by Experience"]
    v.lock()
    engine = _engine(path)
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.HEAD
        diff = compare_metadata(MigrationContext.configure(connection, opts={"include_name": migrate.include_name}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_a_vault_made_before_evidence_had_context_upgrades_with_its_records_valid_searchable_and_filterable(tmp_path: Path) -> None:
    # Issue 15 needs no new schema (the context lives in the records' content, filtered there), so
    # an older vault is upgraded as any is; its records keep their signed bytes, format 1.
    path = tmp_path / "v"
    ids, aid = _vault_at_first_schema(path)
    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0001"]
    for record_id in ids:
        v.records.cut_revision(record_id)
    assert v.verify().ok
    assert {r.id for r in v.search(assessment_id=aid, sources=("collected",), sites=("",)).items} == set(ids)
    assert [r.id for r in v.search("respite", assessment_id=aid).items] == [ids[1]]
    interview = v.records.get(ids[1]).content
    assert interview.source == "collected" and interview.team == ()
    v.records.save(ids[1], dataclasses.replace(interview, team=("Inspector A",), places=("p-north",)))
    assert [r.id for r in v.search(assessment_id=aid, team=("Inspector A",), place_ids=("p-north",)).items] == [ids[1]]
    assert v.search(assessment_id=aid, kinds=("document",)).items == ()
    v.lock()


def test_a_vault_at_schema_0013_is_backed_up_and_starts_an_audit_log_that_only_grows(tmp_path: Path) -> None:
    path = tmp_path / "v"
    v = Vault.create(path, PASSPHRASE, kdf=TEST_KDF).vault
    aid = v.assessments.create("Old ICS").value.id
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection:
        _back_to_0013(connection)
    engine.dispose()
    v = Vault.open(path, passphrase=PASSPHRASE)
    assert [b.reason for b in backup.list_backups(path)] == ["before-migration-0013"]
    assert [a.id for a in v.assessments.list()] == [aid]
    assert [e.kind for e in v.audit.entries()] == ["unlock"]
    v.lock()
    engine = _engine(path)
    with engine.begin() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.exec_driver_sql("DELETE FROM audit_entries")
    engine.dispose()
