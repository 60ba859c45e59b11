"""The service's instance id lives in its database: every host serving one database tells laptops the
same id whatever its data folder, workers starting at once agree on one, a service upgraded from one
that kept the id in its data folder keeps that id, and a restore gives a new one."""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sync_fixtures import BACKENDS, Device, Service, database_url, inprocess_service, postgres_schema  # noqa: F401 - database_url is a fixture

from sync import protocol
from sync.server import backup, db, migrations, sealing
from sync.server.instance import INSTANCE_FILE
from sync.server.service import Service as ServerService
from sync.server.service import prepare_data_dir
from sync.server.settings import Settings


@pytest.fixture(params=BACKENDS)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One database for several hosts: an SQLite file outside every data folder, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        with postgres_schema() as url:
            yield url


def _told(service: Service) -> str:
    """The id the status answer tells a laptop (its Fieldapp-Instance header)."""
    answer = service.http("GET", f"{service.url}{protocol.API}/status", timeout=10)
    assert answer.status_code == 200
    return answer.headers[protocol.INSTANCE_HEADER]


def _old_data_folder(data_dir: Path, database_url: str | None, old_id: str) -> Settings:
    """A data folder and database as a release before schema 0010 left them: the id in the folder's
    `instance-id` file, the database at 0009."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    prepare_data_dir(settings)
    (data_dir / INSTANCE_FILE).write_text(old_id + "\n", encoding="ascii")
    engine = db.create_engine(settings.url)
    try:
        migrations.upgrade(engine, "0009")
    finally:
        engine.dispose()
    return settings


def test_two_hosts_on_one_database_each_with_its_own_data_folder_tell_laptops_one_instance_id(
    shared_url: str, tmp_path: Path, make_device: Callable[..., Device]
) -> None:
    with inprocess_service(tmp_path / "host a", shared_url) as a:
        (tmp_path / "host b").mkdir(mode=0o700)
        shutil.copy2(tmp_path / "host a" / sealing.KEY_FILE, tmp_path / "host b" / sealing.KEY_FILE)  # hosts share the service key
        with inprocess_service(tmp_path / "host b", shared_url) as b:
            _assessment, (inspector,) = a.team()
            laptop = make_device(a, inspector)
            assert laptop.sync().problems == []  # notes host a's id
            assert _told(b) == _told(a)
            assert not laptop.vault.replication.note_instance(_told(b))  # moving to host b: nothing to send again
    assert not (tmp_path / "host a" / INSTANCE_FILE).exists() and not (tmp_path / "host b" / INSTANCE_FILE).exists()


def test_workers_starting_at_once_on_a_new_database_agree_on_one_of_the_ids_they_offer(shared_url: str, tmp_path: Path) -> None:
    engine = db.create_engine(shared_url)
    migrations.upgrade(engine)  # as `fieldapp-server migrate` does before any worker starts
    engine.dispose()
    key = tmp_path / "service.key"
    sealing.make_key_file(key)
    offered = [secrets.token_hex(16) for _ in range(4)]
    settings = []
    for n, old_id in enumerate(offered):  # each host's folder still holds an id of its own from before
        settings.append(Settings(data_dir=tmp_path / f"worker {n}", database_url=shared_url, key_file=key))
        prepare_data_dir(settings[-1])
        (settings[-1].data_dir / INSTANCE_FILE).write_text(old_id + "\n", encoding="ascii")
    together = threading.Barrier(len(settings))

    def start(each: Settings) -> ServerService:
        together.wait(timeout=60)
        return ServerService(each)

    with ThreadPoolExecutor(len(settings)) as pool:
        started = list(pool.map(start, settings))
    try:
        ids = {service.instance for service in started}
        assert len(ids) == 1 and ids <= set(offered)
    finally:
        for service in started:
            service.engine.dispose()


def test_a_service_upgraded_from_one_that_kept_its_id_in_its_data_folder_tells_laptops_that_same_id(
    database_url: str | None, tmp_path: Path
) -> None:
    old_id = secrets.token_hex(16)
    settings = _old_data_folder(tmp_path / "service", database_url, old_id)
    if database_url is not None:  # the embedded default migrates itself at start; any other database by `migrate`
        engine = db.create_engine(settings.url)
        migrations.upgrade(engine)
        engine.dispose()

    with inprocess_service(settings.data_dir, database_url) as upgraded:
        assert _told(upgraded) == old_id
    (settings.data_dir / INSTANCE_FILE).write_text(secrets.token_hex(16) + "\n", encoding="ascii")  # no longer read
    with inprocess_service(settings.data_dir, database_url) as restarted:
        assert _told(restarted) == old_id


def test_a_restore_renews_the_id_in_the_database_even_from_a_backup_made_before_it_was_kept_there(
    database_url: str | None, tmp_path: Path
) -> None:
    old_id = secrets.token_hex(16)
    settings = _old_data_folder(tmp_path / "service", database_url, old_id)
    backup.backup(settings, tmp_path / "backup")  # the database at 0009, without the id

    backup.restore(settings, tmp_path / "backup")
    with inprocess_service(settings.data_dir, database_url) as restored:
        assert _told(restored) != old_id  # the data folder's old file is left, and not taken: laptops will send again
