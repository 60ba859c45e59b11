"""Tampering: a flipped byte or a cut anywhere is detected and reported, never read as evidence."""

from __future__ import annotations

import io
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE

from fieldapp import domain
from fieldapp.storage import keys, sqlcipher
from fieldapp.errors import IntegrityError, VaultDamaged
from fieldapp.vault import Vault


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, vault_template) -> tuple[Path, dict[str, domain.Content], dict[str, bytes]]:
    """A locked vault of 120 records over many pages, two attachments, and the truth to compare with."""
    path = tmp_path_factory.mktemp("filled") / "vault"
    shutil.copytree(vault_template.path, path)
    v = Vault.open(path, passphrase=PASSPHRASE)
    aid = v.assessments.create("Tamper ICS").value.id
    rng = random.Random(7)
    expected: dict[str, domain.Content] = {}
    for i in range(120):
        content = domain.Observation(title=f"meeting {i}", notes=" ".join(rng.choices(["chair", "plan", "risk", "care"], k=400)))
        rec = v.records.create(aid, content).value
        v.links.tag(rec.id, "learning-culture")
        expected[rec.id] = content
    first = next(iter(expected))
    blobs = {
        v.attachments.add(first, io.BytesIO(rng.randbytes(2_500_000)), name="scan.pdf").value.id: b"",
        v.attachments.add(first, io.BytesIO(b"small photo bytes"), name="photo.jpg").value.id: b"",
    }
    for att_id in blobs:
        blobs[att_id] = v.attachments.read_bytes(att_id)
    v.lock()
    return path, expected, blobs


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _reads_nothing_false(v: Vault, expected: dict[str, domain.Content]) -> tuple[int, int]:
    """Every record reads back as it was or raises VaultDamaged; returns (readable, damaged)."""
    readable = damaged = 0
    for rid, content in expected.items():
        try:
            got = v.records.get(rid).content
        except VaultDamaged:
            damaged += 1
            continue
        assert got == content
        readable += 1
    return readable, damaged


@pytest.mark.parametrize("seed", range(24))
def test_a_flipped_byte_in_the_database_is_detected_and_never_read_as_data(filled, tmp_path: Path, seed: int) -> None:
    source, expected, _ = filled
    path = _copy(source, tmp_path / "v")
    db = path / "vault.db"
    offset = random.Random(seed).randrange(db.stat().st_size)
    _flip(db, offset)
    try:
        v = Vault.open(path, passphrase=PASSPHRASE)
    except VaultDamaged as exc:
        assert "integrity" in str(exc) or "damaged" in str(exc)
        return
    try:
        _reads_nothing_false(v, expected)
        report = v.verify(attachments=False)
        assert not report.ok, f"flip at offset {offset} went unnoticed"
        assert any(p.what == "page" for p in report.problems)
    finally:
        v.lock()


def _pages_costing_some_records(source: Path, expected: dict[str, domain.Content], scratch: Path) -> Iterator[int]:
    """Pages (last first, from the last page but one down to page 2) whose damage leaves the vault
    opening but costs some of its records.

    Found by the vault's own open and reads, with the data key unwrapped once: a passphrase open
    (Argon2id, ~0.6 s) for each of the ~50 pages tried used to be most of this test's time. The
    test then opens the chosen page's copy by passphrase, as a user would."""
    page_size = 4096
    pages = (source / "vault.db").stat().st_size // page_size
    original = (source / "vault.db").read_bytes()
    data_key = keys.unwrap_with_passphrase(keys.read_header(source / "vault.header"), PASSPHRASE)
    path = _copy(source, scratch)
    for page in range(pages - 2, 1, -1):
        for leftover in path.glob("vault.db-*"):  # the WAL of the page tried before
            leftover.unlink()
        damaged = bytearray(original)
        damaged[page * page_size + 300] ^= 0x5A
        (path / "vault.db").write_bytes(bytes(damaged))
        v = Vault(path)
        try:
            v.header = keys.read_header(path / "vault.header")
            v._open_with(bytearray(data_key))
        except VaultDamaged:
            continue
        try:
            _, lost = _reads_nothing_false(v, expected)
        finally:
            v.lock()
        if lost:
            yield page


def test_records_on_intact_pages_stay_readable_when_one_page_is_damaged(filled, tmp_path: Path) -> None:
    source, expected, _ = filled
    page_size = 4096
    # find a damaged data page that leaves the schema readable
    for page in _pages_costing_some_records(source, expected, tmp_path / "search"):
        path = _copy(source, tmp_path / f"p{page}")
        _flip(path / "vault.db", page * page_size + 300)
        try:
            v = Vault.open(path, passphrase=PASSPHRASE)
        except VaultDamaged:
            continue
        try:
            readable, damaged = _reads_nothing_false(v, expected)
            if damaged == 0:
                continue
            assert readable > len(expected) // 2
            report = v.verify(attachments=False)
            assert any(p.what == "page" for p in report.problems)
            exported = v.export(tmp_path / f"export-{page}.json")
            data = json.loads(exported.path.read_text(encoding="utf-8"))
            assert exported.records == len(data["records"]) >= readable and exported.unreadable, exported.unreadable[:3]
            for item in data["records"]:
                assert domain.from_dict(item["kind"], item["content"]) == expected[item["id"]]
            return
        finally:
            v.lock()
    pytest.fail("no page whose damage costs only some records was found")


def test_every_single_byte_flip_of_the_header_is_reported_as_damage(filled, tmp_path: Path) -> None:
    source, expected, _ = filled
    original = (source / "vault.header").read_bytes()
    path = _copy(source, tmp_path / "v")
    outcomes = {"damaged": 0, "harmless": 0}
    for offset in range(0, len(original), 3):
        data = bytearray(original)
        data[offset] ^= 0x01
        (path / "vault.header").write_bytes(bytes(data))
        try:
            v = Vault.open(path, passphrase=PASSPHRASE)
        except VaultDamaged:
            outcomes["damaged"] += 1
            continue
        # JSON that parses the same (a changed space) is harmless: the vault must read as before.
        assert json.loads(bytes(data)) == json.loads(original), f"flip at {offset} opened a changed header"
        _reads_nothing_false(v, dict(list(expected.items())[:3]))
        v.lock()
        outcomes["harmless"] += 1
    assert outcomes["damaged"] > 0.9 * sum(outcomes.values())


def test_a_header_edited_and_rechecksummed_is_caught_by_its_mac(filled, tmp_path: Path) -> None:
    source, _, _ = filled
    path = _copy(source, tmp_path / "v")
    document = json.loads((path / "vault.header").read_text())
    document["body"]["created_at"] = "1999-01-01T00:00:00Z"
    document["checksum"] = keys._checksum(document)
    (path / "vault.header").write_text(json.dumps(document))
    with pytest.raises(VaultDamaged, match="altered"):
        Vault.open(path, passphrase=PASSPHRASE)


@pytest.mark.parametrize("cut", [0.0, 0.3, 0.999])
def test_a_truncated_database_or_header_is_reported_as_damage(filled, tmp_path: Path, cut: float) -> None:
    source, expected, _ = filled
    for name in ("vault.db", "vault.header"):
        path = _copy(source, tmp_path / f"{name}-{cut}")
        target = path / name
        size = target.stat().st_size
        # Cut at least the header's closing brace: dropping only its final newline changes nothing.
        keep = int(size * cut) if name == "vault.db" else min(int(size * cut), size - 2)
        target.write_bytes(target.read_bytes()[:keep])
        try:
            v = Vault.open(path, passphrase=PASSPHRASE)
        except VaultDamaged:
            continue
        try:
            readable, damaged = _reads_nothing_false(v, expected)
            assert damaged or not v.verify(attachments=False).ok
        finally:
            v.lock()


@pytest.mark.parametrize("seed", range(6))
def test_a_flipped_byte_in_an_attachment_is_caught_and_the_record_named(filled, tmp_path: Path, seed: int) -> None:
    source, expected, blobs = filled
    path = _copy(source, tmp_path / "v")
    big = max((path / "attachments").iterdir(), key=lambda p: p.stat().st_size)
    _flip(big, random.Random(seed).randrange(big.stat().st_size))
    v = Vault.open(path, passphrase=PASSPHRASE)
    try:
        damaged = [a for a in blobs if len(blobs[a]) > 1000][0]
        intact = [a for a in blobs if a != damaged][0]
        with pytest.raises(IntegrityError):
            v.attachments.read_bytes(damaged)
        with pytest.raises(IntegrityError):
            v.attachments.verify(damaged)
        assert v.attachments.read_bytes(intact) == blobs[intact]
        report = v.verify()
        (problem,) = report.problems
        assert problem.what == "attachment" and problem.record_id == next(iter(expected))
    finally:
        v.lock()


def test_a_revision_altered_inside_the_database_is_reported_by_record(filled, tmp_path: Path) -> None:
    source, expected, _ = filled
    path = _copy(source, tmp_path / "v")
    ids = list(expected)
    header = keys.read_header(path / "vault.header")
    engine = sqlcipher.create_engine(path / "vault.db", keys.subkey(keys.unwrap_with_passphrase(header, PASSPHRASE), "database"))
    with engine.begin() as c:
        body = c.exec_driver_sql("SELECT body FROM revisions WHERE record_id = ?", (ids[0],)).scalar()
        c.exec_driver_sql("UPDATE revisions SET body = ? WHERE record_id = ?", (body.replace(b"meeting 0", b"meeting X"), ids[0]))
        c.exec_driver_sql("UPDATE revisions SET signature = zeroblob(64) WHERE record_id = ?", (ids[1],))
        c.exec_driver_sql("DELETE FROM revisions WHERE record_id = ?", (ids[2],))
    engine.dispose()
    v = Vault.open(path, passphrase=PASSPHRASE)
    try:
        report = v.verify(attachments=False)
        by_record = {p.record_id for p in report.problems}
        assert by_record == {ids[0], ids[1], ids[2]}
        assert report.revisions_checked == len(expected) - 1
        assert v.records.get(ids[5]).content == expected[ids[5]]  # the rest still opens
    finally:
        v.lock()
