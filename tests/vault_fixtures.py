"""Fixtures for tests that need a real vault: one template made per session, copied per test."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fieldapp import domain
from fieldapp.storage import keys
from fieldapp.storage.keys import KdfParams
from fieldapp.vault import Vault

PASSPHRASE = "correct horse battery staple"
# The floor of RFC 9106's second profile: real Argon2id, without calibrating up to 0.5 s per test.
TEST_KDF = KdfParams()


@contextmanager
def small_disk_at(folder: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of the given size at folder, so "disk full" is the kernel's own ENOSPC."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill_disk(disk: Path) -> Path:
    """Every byte of a small disk taken by one file, "filler" (the kernel's own ENOSPC stops it)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass  # the disk is full
    return filler


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk_at(tmp_path / "disk", "6m") as folder:
        yield folder


@dataclass(frozen=True)
class Template:
    path: Path
    recovery_key: str


@pytest.fixture(scope="session")
def vault_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("template") / "vault"
    created = Vault.create(path, PASSPHRASE, kdf=TEST_KDF)
    created.vault.lock()
    return Template(path, created.recovery_key)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that build(path) makes, made once for the whole run and only read after.

    Under pytest-xdist the first worker to ask builds it in the run's shared temporary folder
    while the others wait for it, rather than every worker spending the same half-minute on its
    own copy; a lone process builds it in its own temporary folder."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        path = tmp_path_factory.mktemp(name) / name
        build(path)
        return path
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, above each worker's own
    done, claim = shared / name, shared / f"{name}.building"
    try:
        claim.mkdir()  # atomic: exactly one worker wins the claim and builds
    except FileExistsError:
        waited_until = time.monotonic() + 1800  # a builder that died must not hang the run
        while not done.exists():
            if (claim / "failed").exists() or time.monotonic() > waited_until:
                pytest.fail(f"the worker building {name} failed; its own test says why")
            time.sleep(0.2)
        return done
    try:
        build(claim / name)
    except BaseException:
        (claim / "failed").touch()
        raise
    (claim / name).rename(done)  # whole or absent: waiters see it only once it is complete
    return done


@pytest.fixture
def vault_path(vault_template: Template, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A copy of the blank vault; for a test that asks for the report demo (report_fixtures.demo),
    a copy of the vault with the demo filled in."""
    source = request.getfixturevalue("demo_template").path if "demo" in request.fixturenames else vault_template.path
    path = tmp_path / "vault"
    shutil.copytree(source, path)
    return path


@pytest.fixture
def recovery_key(vault_template: Template) -> str:
    return vault_template.recovery_key


@pytest.fixture
def vault(vault_path: Path) -> Iterator[Vault]:
    v = Vault.open(vault_path, passphrase=PASSPHRASE)
    yield v
    v.lock()


@pytest.fixture
def assessment_id(vault: Vault) -> str:
    return vault.assessments.create("Northshire ICS", period_start="2026-11-01", period_end="2026-11-30").value.id


def sample_contents() -> list[domain.Content]:
    """One record of each kind, filled in as an inspector would."""
    return [
        domain.Observation(
            title="ICB board, November",
            meeting_type="icb",
            held_at="2026-11-20T10:00",
            location="County Hall",
            attendees=(domain.Attendee("ICB chair", "Northshire ICB"), domain.Attendee("Director of nursing")),
            notes="10:42  ICB chair asks for the winter plan\n10:50  Finance director reports the deficit",
        ),
        domain.Interview(
            title="Carer of a person with dementia",
            role="carer",
            pseudonym="Carer C4",
            consent=domain.Consent(True, "verbal", "2026-11-20T14:00"),
            held_at="2026-11-20T14:00",
            notes="Describes a delayed discharge and a lack of respite care.",
        ),
        domain.CaseTracking(
            title="Hospital to home",
            pseudonym="Person P17",
            contacts=(
                domain.Contact("c1", "Emergency department", "2026-10-01", "Admitted after a fall", "", "Waited 9 hours"),
                domain.Contact("c2", "Reablement team", "2026-10-09", "Home visits", "Hospital → Reablement", "Felt listened to"),
            ),
        ),
        domain.FocusGroup(
            title="Frontline staff, east locality",
            held_at="2026-11-21T09:30",
            groups_represented=("District nurses", "Social workers"),
            role="staff",
            participants=9,
            facilitator="Inspector A",
            notes="Staff describe shared care records that work across services.",
        ),
    ]


def secrets_of(vault_path: Path) -> list[bytes]:
    """What would let someone open this vault again: the slots' salts and wrapped keys, raw and as
    the header writes them, and the database's own salt (its first 16 bytes)."""
    header = keys.read_header(vault_path / "vault.header")
    found = [(vault_path / "vault.db").read_bytes()[:16]]
    for slot in (header.passphrase, header.recovery):
        for value in (slot.salt, slot.wrapped):
            found += [value, base64.b64encode(value)]
    return found


def every_file(root: Path) -> list[Path]:
    return [Path(folder) / name for folder, _dirs, names in os.walk(root) for name in names]


def plaintext_pages(database: Path, key: bytes) -> bytes:
    """Every page of a SQLCipher 4 database file decrypted, free pages too (what a thief with the key
    would read, not only what its tables answer): AES-256-CBC under the raw key, each page's IV in the
    80 bytes it reserves (16 of IV, then 64 of HMAC); the first page's first 16 bytes are its salt."""
    raw, size, reserve = database.read_bytes(), 4096, 80
    found = []
    for start in range(0, len(raw), size):
        page = raw[start : start + size]
        skip = 16 if start == 0 else 0
        iv = page[size - reserve : size - reserve + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        found.append(decryptor.update(page[skip : size - reserve]) + decryptor.finalize())
    return b"".join(found)
