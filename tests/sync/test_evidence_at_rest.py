"""Evidence is sealed at rest on the service (issue 17): after a real sync of canary evidence, no
canary is in any file of the service's data folder nor in a dump of its PostgreSQL schema; sealed
values do not open anywhere but where they were stored; rotating the service key re-wraps every
data key and everything still reads; a wrong key file stops the service at once, in words; evidence
stored before sealing began (attachment chunks too, in the folder and in an object store) is sealed
in place by `admin keys encrypt-existing` and still reads. With attachments in an object store, its
bucket's objects are scanned as well (read through its S3 API)."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from s3_fixtures import WITH_S3, s3_for
from sync_fixtures import Device, Service, admin_cli, backend_service, colleagues, inprocess_service, raw_device
from test_canary import _leaks

from fieldapp import domain
from fieldapp.item_kinds import ConcernContent
from sync.server import admin, sealing
from sync.server.app import STORED_EVIDENCE_ALTERED, create_app
from sync.server.cli import main as cli_main
from sync.server.models import Blob, Concern, DataKey, Revision
from sync.server.s3 import S3Client
from sync.server.service import blob_store
from sync.server.settings import S3_ENV, S3Settings, Settings


def _canary(label: str) -> str:
    return f"CANARY{label}{os.urandom(6).hex()}"


CANARY_LABELS = ("title", "notes", "attachmentname", "attachmentbytes", "heard", "tell")


def _sync_canaries(service: Service, make_device: Callable[..., Device]) -> tuple[dict[str, str], str, bytes]:
    """A record, an attachment (its name and bytes) and a concern, each holding its own canary,
    synced through the service to a teammate: what the service keeps of them is at rest."""
    canaries = {label: _canary(label) for label in CANARY_LABELS}
    assessment_id, first, second, _ = colleagues(service, make_device)
    record = first.vault.records.create(assessment_id, domain.Observation(title=canaries["title"], notes=canaries["notes"])).value
    contents = (canaries["attachmentbytes"] + " ").encode() * 3000  # two chunks of a small store chunk size
    first.vault.attachments.add(record.id, io.BytesIO(contents), name=f"{canaries['attachmentname']}.m4a")
    first.vault.concerns.raise_concern(assessment_id, ConcernContent("safeguarding", "immediate", canaries["heard"], tell=canaries["tell"]))
    first.sync()
    second.sync()
    assert second.vault.records.get(record.id).content.title == canaries["title"]  # it went through, and reads
    (attachment,) = second.vault.records.get(record.id).attachments
    assert second.vault.attachments.read_bytes(attachment.id, record_id=record.id) == contents
    return canaries, assessment_id, contents


@pytest.fixture(params=WITH_S3)
def small_chunk_service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """On SQLite and PostgreSQL with attachments in the data folder, and on SQLite with them in the object store."""
    with backend_service(request.param, tmp_path / "service", chunk_size=16 << 10, s3=s3_for(request)) as running:
        yield running


def _at_rest(service: Service, copies: Path) -> list[Path]:
    """Every file the service keeps: its data folder's, and with attachments in an object store, a
    copy in `copies` of each object under its prefix, read through the store's S3 API."""
    files = [p for p in service.settings.data_dir.rglob("*") if p.is_file()]
    s3 = service.settings.s3
    if s3 is None:
        return files
    copies.mkdir(exist_ok=True)
    client = S3Client(s3)
    try:
        for n, found in enumerate(client.listing(s3.prefix)):
            copy = copies / f"{n}-{found.key.removeprefix(s3.prefix).replace('/', '_')}"
            copy.write_bytes(client.get(found.key))
            files.append(copy)
    finally:
        client.close()
    return files


def _pg_dump(database_url: str) -> bytes:
    """The test schema's whole dump, as an attacker holding a backup of the database would have it."""
    url = make_url(database_url)
    schema = url.query["options"].split("=", 1)[1]
    plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--schema", schema, plain], check=True, capture_output=True, timeout=120).stdout


def test_no_canary_of_a_synced_record_attachment_or_concern_is_in_the_services_files_or_its_database_dump(
    small_chunk_service: Service, make_device: Callable[..., Device], tmp_path: Path
) -> None:
    service = small_chunk_service
    canaries, _assessment, _contents = _sync_canaries(service, make_device)
    files = _at_rest(service, tmp_path / "bucket")
    assert [p for p in files if "objects" in p.parts or "-objects_" in p.name]  # the attachment's chunks, in the folder or the bucket
    assert [p for p in files if p.name == sealing.KEY_FILE]
    assert _leaks(list(canaries.values()), files) == []
    if service.settings.database_url:
        dump = _pg_dump(service.settings.database_url)
        assert b"CREATE TABLE" in dump and b"data_keys" in dump
        found = [label for label, c in canaries.items() if c.encode() in dump or c.encode().hex().encode() in dump]
        assert found == []
    with Session(service.engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Blob).where(Blob.sealed.is_(False))) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(DataKey)) == 2  # the assessment's, the attachments'


def test_the_service_makes_its_files_and_folders_for_its_user_alone(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    service = inprocess_sqlite_service
    _sync_canaries(service, make_device)
    data = service.settings.data_dir
    for name in ("service.db", "service.db-wal", "service.db-shm", sealing.KEY_FILE):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    folders = [data, *(p for p in service.settings.blobs_dir.rglob("*") if p.is_dir()), service.settings.blobs_dir]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders), [oct(p.stat().st_mode) for p in folders]
    chunks = [p for p in service.settings.blobs_dir.rglob("*") if p.is_file()]
    assert chunks and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in chunks)


def test_a_body_moved_to_another_revision_or_assessment_does_not_open_and_the_pull_refuses_to_serve_it(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, _first, _second, record_id = colleagues(service, make_device, domain.Observation(title="Ward 3", notes="Calm"))
    other_assessment, (other,) = service.team("Southshire ICS")
    elsewhere = make_device(service, other, "elsewhere")  # a team the first record is not in
    elsewhere.sync()
    elsewhere.vault.records.create(other_assessment, domain.Observation(title="Ward 9", notes="Busy"))
    elsewhere.sync()
    with service.engine.begin() as connection:
        mine = connection.execute(sa.select(Revision.id, Revision.body).where(Revision.record_id == record_id)).one()
        theirs = connection.execute(sa.select(Revision.id, Revision.body).where(Revision.assessment_id == other_assessment)).first()
        seals = sealing.of(connection)
        with pytest.raises(sealing.SealError, match="moved or altered"):
            seals.open_body(assessment_id, theirs.id, mine.body)  # another revision's place in the same team
        with pytest.raises(sealing.SealError, match="moved or altered"):
            seals.open_body(other_assessment, theirs.id, mine.body)  # another team's
        connection.execute(sa.update(Revision).where(Revision.id == theirs.id).values(body=mine.body))
    answer = raw_device(service, other, "newcomer").pull()
    assert answer.status_code == 500 and answer.json()["detail"] == STORED_EVIDENCE_ALTERED


def test_rotating_the_service_key_rewraps_every_data_key_and_everything_still_reads(
    tmp_path: Path, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    data, new_key, old_key = tmp_path / "service", tmp_path / "new.key", tmp_path / "old.key"
    with inprocess_service(data, chunk_size=16 << 10) as service:
        canaries, assessment_id, contents = _sync_canaries(service, make_device)
        sealing.make_key_file(new_key)
        code, out, err = admin_cli(service, capsys, "keys", "rotate", "--new-key-file", str(new_key))
        assert code == 0, err
        assert out.startswith("2 data key(s) re-wrapped")  # the assessment's and the attachments': no body, no chunk
        assert admin_cli(service, capsys, "keys", "rotate", "--new-key-file", str(new_key))[1].startswith("0 data key(s)")  # none left
        with service.engine.connect() as connection:
            assert set(connection.scalars(sa.select(DataKey.key_id))) == {sealing.read_key_file(new_key).key_id}
    shutil.copy(data / sealing.KEY_FILE, old_key)
    with pytest.raises(sealing.ServiceKeyError, match="start the service with the key file it was given"):
        create_app(Settings(data_dir=data))  # the old key, still where it was
    shutil.copy(new_key, data / sealing.KEY_FILE)  # the administrator puts the new key in its place

    with inprocess_service(data, chunk_size=16 << 10) as service:
        with service.admin() as session:
            newcomer = admin.create_inspector(session, "Inspector After").id
            admin.add_member(session, assessment_id, newcomer)
        laptop = make_device(service, newcomer, "after rotation")
        laptop.sync()
        (record,) = [r for r in laptop.vault.records.list(assessment_id) if r.title == canaries["title"]]
        (attachment,) = laptop.vault.records.get(record.id).attachments
        assert laptop.vault.attachments.read_bytes(attachment.id, record_id=record.id) == contents
        code, out, _ = admin_cli(service, capsys, "concern", "list", "--json")
        assert code == 0 and canaries["heard"] in out


def test_a_wrong_key_file_stops_the_service_and_the_admin_at_once_in_words(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sync_canaries(inprocess_sqlite_service, make_device)
    wrong, data = tmp_path / "wrong.key", str(inprocess_sqlite_service.settings.data_dir)
    sealing.make_key_file(wrong)
    settings = inprocess_sqlite_service.settings
    with pytest.raises(sealing.ServiceKeyError, match="start the service with the key file it was given"):
        create_app(Settings(data_dir=settings.data_dir, key_file=wrong))
    assert cli_main(["--data", data, "--key-file", str(wrong), "admin", "concern", "list"]) == 1
    assert "start the service with the key file it was given" in capsys.readouterr().err
    (tmp_path / "garbled.key").write_text("not a key\n")
    assert cli_main(["--data", data, "--key-file", str(tmp_path / "garbled.key"), "admin", "inspector", "list"]) == 1
    assert "is not base64 of 32 bytes" in capsys.readouterr().err


def test_evidence_stored_before_sealing_is_sealed_in_place_and_still_reads(
    inprocess_sqlite_service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    service = inprocess_sqlite_service
    canaries, _assessment, _contents = _sync_canaries(service, make_device)
    with service.engine.begin() as connection:  # as a service before issue 17 stored them: plaintext
        seals = sealing.of(connection)
        for row in connection.execute(sa.select(Revision.id, Revision.assessment_id, Revision.body)).all():
            plain = seals.open_body(row.assessment_id, row.id, row.body)
            connection.execute(sa.update(Revision).where(Revision.id == row.id).values(body=plain))
        for row in connection.execute(sa.select(Concern.id, Concern.assessment_id, Concern.heard, Concern.tell)).all():
            values = {c: seals.open_text(row.assessment_id, row.id, c, getattr(row, c)) for c in ("heard", "tell")}
            connection.execute(sa.update(Concern).where(Concern.id == row.id).values(**values))
    files = [p for p in service.settings.data_dir.rglob("*") if p.is_file()]
    assert _leaks([canaries["title"]], files) != []  # the scan sees plaintext where there is some

    code, out, err = admin_cli(service, capsys, "keys", "encrypt-existing")
    assert code == 0, err
    assert "revision(s)" in out and " 1 concern(s)" in out
    again = admin_cli(service, capsys, "keys", "encrypt-existing")[1]
    assert again.startswith("Sealed 0 revision(s), 0 concern(s) and 0 attachment chunk(s)")  # resumable: nothing twice
    files = [p for p in service.settings.data_dir.rglob("*") if p.is_file()]
    assert _leaks(list(canaries.values()), files) == []
    code, out, _ = admin_cli(service, capsys, "concern", "list", "--json")
    assert code == 0 and canaries["heard"] in out


@pytest.fixture(params=["sqlite", "sqlite+s3"])
def old_chunk_service(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    """Attachments in the data folder, or in the object store (whose place the admin command then
    finds in the environment, as on the service's machine)."""
    s3 = s3_for(request)
    if s3 is not None:
        _s3_environment(monkeypatch, s3)
    with backend_service(request.param, tmp_path / "service", chunk_size=16 << 10, s3=s3) as running:
        yield running


def test_attachment_chunks_stored_before_sealing_are_sealed_in_place_resumably_and_download_intact_throughout(
    old_chunk_service: Service, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    service = old_chunk_service
    canaries, assessment_id, contents = _sync_canaries(service, make_device)
    blob = _store_as_before_sealing(service)
    count = -(-blob.size // blob.chunk_size)
    assert count > 2 and _leaks([canaries["attachmentbytes"]], _at_rest(service, tmp_path / "before")) != []  # the scan sees the plaintext
    assert _newcomer_reads(service, make_device, assessment_id, canaries["title"], "old") == contents
    if service.settings.s3 is None:  # a run stopped after sealing two chunks of the file: the rest are plaintext
        store = _store(service)
        for index in (0, 1):
            path = store.object_dir(blob.sha256) / str(index)
            path.write_bytes(store.seal.seal(blob.sha256, index, path.read_bytes()))
        count -= 2
        assert _newcomer_reads(service, make_device, assessment_id, canaries["title"], "half") == contents

    code, out, err = admin_cli(service, capsys, "keys", "encrypt-existing", "--json")
    assert code == 0, err
    assert json.loads(out) == {"revisions": 0, "concerns": 0, "attachment chunks": count, "damaged attachments": 0}
    assert _leaks(list(canaries.values()), _at_rest(service, tmp_path / "after")) == []
    with service.engine.begin() as connection:  # as a run stopped after sealing the store, before marking the row
        connection.execute(sa.update(Blob).values(sealed=False))
    assert _newcomer_reads(service, make_device, assessment_id, canaries["title"], "after") == contents
    code, out, err = admin_cli(service, capsys, "keys", "encrypt-existing")
    assert code == 0, err
    assert out.startswith("Sealed 0 revision(s), 0 concern(s) and 0 attachment chunk(s)")  # nothing sealed twice
    with Session(service.engine) as session:
        assert session.scalars(sa.select(Blob.sealed)).all() == [True]


def _s3_environment(monkeypatch: pytest.MonkeyPatch, s3: S3Settings) -> None:
    for name, value in (("ENDPOINT", s3.endpoint), ("BUCKET", s3.bucket), ("ACCESS_KEY", s3.access_key), ("SECRET_KEY", s3.secret_key),
                        ("PREFIX", s3.prefix)):  # fmt: skip
        monkeypatch.setenv(S3_ENV + name, value)


def _store(service: Service) -> Any:
    """The service's blob store, its seal under the service's attachments' key."""
    with service.engine.begin() as connection:
        key = sealing.of(connection).attachments_key()
    return blob_store(service.settings, sealing.ChunkSeal(lambda: key))


def _store_as_before_sealing(service: Service) -> Blob:
    """The one synced attachment, as a service before issue 17 stored it: the same chunks in the
    same places, each in plaintext, and its row saying so."""
    store = _store(service)
    with Session(service.engine) as session, session.begin():
        blob = session.scalars(sa.select(Blob)).one()
        count = -(-blob.size // blob.chunk_size)
        plain = [store.read_chunk(blob.sha256, i, size=blob.size, chunk_size=blob.chunk_size, sealed=True) for i in range(count)]
        if service.settings.s3 is None:
            for index, chunk in enumerate(plain):
                (store.object_dir(blob.sha256) / str(index)).write_bytes(chunk)
        else:
            store.client.put(store.object_key(blob.sha256), b"".join(plain))
        blob.sealed = False
        session.flush()
        session.expunge(blob)
    return blob


def _newcomer_reads(service: Service, make_device: Callable[..., Device], assessment_id: str, title: str, name: str) -> bytes:
    """The attachment's bytes as a new member of the team's laptop downloads them, chunk by chunk."""
    with service.admin() as session:
        newcomer = admin.create_inspector(session, f"Inspector {name}").id
        admin.add_member(session, assessment_id, newcomer)
    laptop = make_device(service, newcomer, name)
    laptop.sync()
    (record,) = [r for r in laptop.vault.records.list(assessment_id) if r.title == title]
    (attachment,) = laptop.vault.records.get(record.id).attachments
    return laptop.vault.attachments.read_bytes(attachment.id, record_id=record.id)


def test_an_old_attachment_altered_where_it_is_stored_is_left_as_it_is_and_named_for_restoring(
    tmp_path: Path, make_device: Callable[..., Device], capsys: pytest.CaptureFixture[str]
) -> None:
    with inprocess_service(tmp_path / "service", chunk_size=16 << 10) as service:
        _sync_canaries(service, make_device)
        blob = _store_as_before_sealing(service)
        folder = _store(service).object_dir(blob.sha256)
        (folder / "1").write_bytes(b"cut short")  # a failing disk, a hand in the store
        before = {p.name: p.read_bytes() for p in folder.iterdir()}

        code, out, err = admin_cli(service, capsys, "keys", "encrypt-existing")
        assert code == 0, err
        assert out.startswith("Sealed 0 revision(s), 0 concern(s) and 0 attachment chunk(s)")
        assert "1 attachment(s) were altered where they are stored" in out and blob.sha256 in out
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # not one chunk of it changed
        with Session(service.engine) as session:
            assert session.scalars(sa.select(Blob.sealed)).all() == [False]


def test_an_assessments_data_key_is_made_with_it_so_no_push_makes_one(service: Service) -> None:
    assessment_id, _team = service.team(inspectors=1)
    with Session(service.engine) as session:
        scopes = set(session.scalars(sa.select(DataKey.scope)))
    assert f"a:{assessment_id}" in scopes  # before anything was pushed to it
