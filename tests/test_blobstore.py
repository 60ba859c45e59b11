"""The attachment store: exact round trips, no plaintext on disk, every tampering caught, no leftovers."""

from __future__ import annotations

import base64
import errno
import gc
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_canary import _files_under, _leaks
from vault_fixtures import PASSPHRASE, small_disk_at

from fieldapp.storage import blobstore
from fieldapp.storage.blobio import PartialBlob
from fieldapp.storage.blobformat import CHUNK_SIZE, HEADER, NONCE_SIZE, TAG_SIZE, BlobInfo
from fieldapp.storage.blobstore import BlobStore
from fieldapp.errors import Cancelled, IntegrityError, StorageError, VaultLocked
from fieldapp.vault import Vault

KEY = bytes(range(32))
SMALL = 64  # a small chunk size, so tampering tests can try every byte of a many-chunk file
CANARY = "CANARY-evidence-7f3a9c-Ms Jones' care plan"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[BlobStore]:
    s = BlobStore(tmp_path / "attachments", KEY)
    yield s
    s.close()


@pytest.fixture
def small(tmp_path: Path) -> Iterator[BlobStore]:
    s = BlobStore(tmp_path / "small", KEY, chunk_size=SMALL)
    yield s
    s.close()


def put(store: BlobStore, data: bytes, blob_id: bytes | None = None) -> tuple[BlobInfo, bytes]:
    blob_id = blob_id or os.urandom(16)
    return store.write(io.BytesIO(data), blob_id=blob_id), blob_id


def records(store: BlobStore, name: str) -> tuple[bytes, list[bytes]]:
    """Split a stored file into its header and its chunk records (nonce || ciphertext || tag)."""
    raw = (store.root / name).read_bytes()
    size = NONCE_SIZE + store.chunk_size + TAG_SIZE
    body = raw[HEADER.size :]
    return raw[: HEADER.size], [body[i : i + size] for i in range(0, len(body), size)]


def assert_rejected(store: BlobStore, name: str, blob_id: bytes, sha: str | None = None) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught:
        store.verify(name, blob_id=blob_id, expected_sha256=sha or "0" * 64)
    assert caught.value.affected == (name,)
    with pytest.raises(IntegrityError):
        store.read_bytes(name, blob_id=blob_id)  # the chunk checks alone, without a SHA-256, must catch it
    return caught.value


class ShortReads(io.RawIOBase):
    """A source that, like a pipe, hands back fewer bytes than asked for."""

    def __init__(self, data: bytes, seed: int) -> None:
        self._data, self._pos, self._rng = data, 0, random.Random(seed)

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buf), len(self._data) - self._pos, self._rng.randint(1, 7))
        buf[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7])
def test_a_blob_of_any_size_reads_back_exactly_with_hashlibs_sha256(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    info, blob_id = put(store, data)
    sha = hashlib.sha256(data).hexdigest()
    assert info == BlobInfo(name=info.name, size=size, sha256=sha, chunks=max(1, -(-size // CHUNK_SIZE)))
    assert store.read_bytes(info.name, blob_id=blob_id, expected_sha256=sha) == data
    out = io.BytesIO()
    assert store.read_into(info.name, out, blob_id=blob_id, expected_sha256=sha) == size
    assert out.getvalue() == data
    assert [len(c) for c in store.read_chunks(info.name, blob_id=blob_id)] == [len(c) for c in _split(data, CHUNK_SIZE)]
    store.verify(info.name, blob_id=blob_id, expected_sha256=sha)


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), chunk_size=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_any_small_blob_round_trips_at_any_chunk_size_even_from_a_source_with_short_reads(
    tmp_path: Path, data: bytes, chunk_size: int, seed: int
) -> None:
    s = BlobStore(tmp_path / "hyp", KEY, chunk_size=chunk_size)
    blob_id = os.urandom(16)
    info = s.write(ShortReads(data, seed), blob_id=blob_id)  # type: ignore[arg-type]
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.chunks == len(_split(data, chunk_size))
    assert list(s.read_chunks(info.name, blob_id=blob_id)) == _split(data, chunk_size)
    s.remove(info.name)


def test_progress_is_reported_after_every_chunk_with_the_given_total(small: BlobStore) -> None:
    data = os.urandom(SMALL * 3 + 5)
    seen: list[tuple[int, int | None]] = []
    small.write(io.BytesIO(data), blob_id=os.urandom(16), total=len(data), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(SMALL, len(data)), (2 * SMALL, len(data)), (3 * SMALL, len(data)), (len(data), len(data))]


def test_reading_out_reports_progress_towards_the_plaintext_size(small: BlobStore) -> None:
    data = os.urandom(SMALL * 2 + 9)
    info, blob_id = put(small, data)
    seen: list[tuple[int, int | None]] = []
    small.read_into(info.name, io.BytesIO(), blob_id=blob_id, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(SMALL, len(data)), (2 * SMALL, len(data)), (len(data), len(data))]


# -- nothing readable on disk, nothing left behind ---------------------------------------------


def test_the_stored_file_holds_no_plaintext_in_any_encoding_and_no_temp_file_remains(store: BlobStore) -> None:
    text = (CANARY + "\n") * 2000
    data = text.encode() + text.encode("utf-16-le") + base64.b64encode(text.encode())
    info, _ = put(store, data)
    raw = (store.root / info.name).read_bytes()
    for needle in (CANARY.encode(), CANARY.encode("utf-16-le"), base64.b64encode(CANARY.encode())[:24]):
        assert needle not in raw
    assert os.listdir(store.root) == [info.name]
    assert store.names() == {info.name}


def test_stored_names_are_opaque_and_leftover_temp_files_are_cleaned(store: BlobStore) -> None:
    info, _ = put(store, b"x")
    (store.root / ".tmp-deadbeef").write_bytes(b"half a write")
    (store.root / "notes.txt").write_bytes(b"not ours")
    assert store.names() == {info.name}
    assert store.remove_temp_files() == 1
    assert sorted(os.listdir(store.root)) == sorted([info.name, "notes.txt"])
    store.remove(info.name)
    assert store.names() == set()


def test_a_cancelled_write_raises_cancelled_and_leaves_no_file(small: BlobStore) -> None:
    calls = iter(range(100))
    with pytest.raises(Cancelled):
        small.write(io.BytesIO(os.urandom(SMALL * 10)), blob_id=os.urandom(16), cancel=lambda: next(calls) == 4)
    assert os.listdir(small.root) == []


def test_a_source_that_fails_to_read_raises_storage_error_and_leaves_no_file(small: BlobStore) -> None:
    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buf) -> int:  # type: ignore[no-untyped-def]
            raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(StorageError, match="read the file being attached") as caught:
        small.write(Failing(), blob_id=os.urandom(16))  # type: ignore[arg-type]
    assert caught.value.errno == errno.EIO
    assert os.listdir(small.root) == []


def test_a_write_past_the_file_size_limit_raises_storage_error_and_leaves_no_temp_file(tmp_path: Path) -> None:
    # A real EFBIG from the kernel, as on a FAT32 disk; SIGXFSZ would otherwise kill the process.
    script = textwrap.dedent(
        f"""
        import io, json, os, resource, signal
        from pathlib import Path
        from fieldapp.storage.blobstore import BlobStore
        from fieldapp.errors import StorageError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3 << 20, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        store = BlobStore(Path({str(tmp_path / "att")!r}), bytes(32))
        try:
            store.write(io.BytesIO(os.urandom(8 << 20)), blob_id=bytes(16))
            print(json.dumps({{"raised": None}}))
        except StorageError as exc:
            print(json.dumps({{"raised": "StorageError", "errno": exc.errno, "message": str(exc)}}))
        """
    )
    done = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["raised"] == "StorageError" and result["errno"] == errno.EFBIG
    assert "too large for the vault's disk" in result["message"]
    assert os.listdir(tmp_path / "att") == []


def test_a_full_disk_raises_an_actionable_storage_error_and_leaves_no_temp_file(tmp_path: Path) -> None:
    with small_disk_at(tmp_path / "disk", "2m") as disk:
        s = BlobStore(disk, KEY)
        with pytest.raises(StorageError, match="Not enough disk space to store the attachment") as caught:
            s.write(io.BytesIO(os.urandom(5 << 20)), blob_id=os.urandom(16))
        assert caught.value.errno == errno.ENOSPC
        assert isinstance(caught.value.__cause__, OSError)
        assert os.listdir(disk) == []


def test_a_fifty_megabyte_write_and_read_keep_memory_small(store: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    block = os.urandom(1 << 20)
    with open(src, "wb") as fh:
        for _ in range(50):
            fh.write(block)
    blob_id = os.urandom(16)
    tracemalloc.start()
    try:
        with open(src, "rb") as fh:
            info = store.write(fh, blob_id=blob_id)
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with open(os.devnull, "wb") as sink:
            store.read_into(info.name, sink, blob_id=blob_id, expected_sha256=info.sha256)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == 50 << 20
    assert write_peak < 16 << 20 and read_peak < 16 << 20, (write_peak, read_peak)


# -- tampering ---------------------------------------------------------------------------------


def test_flipping_any_single_byte_of_the_file_is_detected(small: BlobStore) -> None:
    info, blob_id = put(small, os.urandom(SMALL * 3 + 11))
    path = small.root / info.name
    original = path.read_bytes()
    for offset in range(len(original)):  # every byte: header, nonces, ciphertext, tags
        damaged = bytearray(original)
        damaged[offset] ^= 1 << random.randrange(8)
        path.write_bytes(damaged)
        assert_rejected(small, info.name, blob_id, info.sha256)


def test_flipping_a_byte_at_random_offsets_of_a_large_blob_is_detected(store: BlobStore) -> None:
    info, blob_id = put(store, os.urandom(3 * CHUNK_SIZE + 7))
    path = store.root / info.name
    size = path.stat().st_size
    rng = random.Random(7)
    for offset in [0, HEADER.size - 1, size - 1] + [rng.randrange(size) for _ in range(25)]:
        with open(path, "r+b") as fh:
            fh.seek(offset)
            byte = fh.read(1)[0]
            fh.seek(offset)
            fh.write(bytes([byte ^ 0x80]))
        with pytest.raises(IntegrityError):
            store.verify(info.name, blob_id=blob_id, expected_sha256=info.sha256)
        with open(path, "r+b") as fh:
            fh.seek(offset)
            fh.write(bytes([byte]))
    store.verify(info.name, blob_id=blob_id, expected_sha256=info.sha256)


def test_truncating_the_file_anywhere_is_detected(small: BlobStore) -> None:
    info, blob_id = put(small, os.urandom(SMALL * 3 + 11))
    path = small.root / info.name
    original = path.read_bytes()
    for length in range(len(original)):  # chunk boundaries, mid-chunk, mid-header, empty
        path.write_bytes(original[:length])
        assert_rejected(small, info.name, blob_id, info.sha256)


def test_truncating_at_a_chunk_boundary_of_an_exact_multiple_is_detected(small: BlobStore) -> None:
    info, blob_id = put(small, os.urandom(SMALL * 3))  # the last chunk is full-size
    header, chunks = records(small, info.name)
    (small.root / info.name).write_bytes(header + b"".join(chunks[:2]))
    assert "chunk 1" in str(assert_rejected(small, info.name, blob_id))


@pytest.mark.parametrize(
    "rearrange",
    [
        pytest.param(lambda c: [c[1], c[0], *c[2:]], id="swap-first-two"),
        pytest.param(lambda c: [*c[:-2], c[-1], c[-2]], id="swap-last-two"),
        pytest.param(lambda c: c[:-1], id="drop-last"),
        pytest.param(lambda c: c[1:], id="drop-first"),
        pytest.param(lambda c: [*c, c[-1]], id="repeat-last"),
        pytest.param(lambda c: [*c, c[0]], id="append-first"),
        pytest.param(lambda c: [c[0], *c], id="repeat-first"),
        pytest.param(lambda c: [*c, b"\0" * len(c[0])], id="append-zero-chunk"),
        pytest.param(lambda c: [*c, b"x"], id="append-one-byte"),
    ],
)
def test_rearranging_dropping_or_adding_chunks_is_detected(small: BlobStore, rearrange) -> None:  # type: ignore[no-untyped-def]
    for size in (SMALL * 3 + 11, SMALL * 4):
        info, blob_id = put(small, os.urandom(size))
        header, chunks = records(small, info.name)
        (small.root / info.name).write_bytes(header + b"".join(rearrange(chunks)))
        assert_rejected(small, info.name, blob_id, info.sha256)


def test_a_chunk_moved_from_another_blob_is_detected(small: BlobStore) -> None:
    a, a_id = put(small, os.urandom(SMALL * 3))
    b, _ = put(small, os.urandom(SMALL * 3))
    header, a_chunks = records(small, a.name)
    _, b_chunks = records(small, b.name)
    (small.root / a.name).write_bytes(header + b"".join([a_chunks[0], b_chunks[1], a_chunks[2]]))
    assert "chunk 1" in str(assert_rejected(small, a.name, a_id))


def test_a_blob_copied_over_another_blobs_name_is_detected_even_with_its_header_rewritten(small: BlobStore) -> None:
    a, a_id = put(small, b"the real photo" * 20)
    b, _ = put(small, b"a different photo" * 20)
    (small.root / a.name).write_bytes((small.root / b.name).read_bytes())
    assert "another attachment" in str(assert_rejected(small, a.name, a_id))
    header, chunks = records(small, a.name)  # now forge the header to name a's id; the chunks still say b
    (small.root / a.name).write_bytes(header[:9] + a_id + header[25:] + b"".join(chunks))
    assert "chunk 0" in str(assert_rejected(small, a.name, a_id))


def test_the_wrong_master_key_cannot_read_a_blob(small: BlobStore) -> None:
    info, blob_id = put(small, b"evidence")
    other = BlobStore(small.root, bytes(reversed(KEY)), chunk_size=SMALL)
    with pytest.raises(IntegrityError, match="chunk 0"):
        other.read_bytes(info.name, blob_id=blob_id)


def test_reading_stops_at_the_first_bad_chunk_having_yielded_only_verified_ones(small: BlobStore) -> None:
    data = os.urandom(SMALL * 4)
    info, blob_id = put(small, data)
    path = small.root / info.name
    raw = bytearray(path.read_bytes())
    raw[HEADER.size + 2 * (NONCE_SIZE + SMALL + TAG_SIZE) + NONCE_SIZE + 3] ^= 0xFF  # inside chunk 2
    path.write_bytes(raw)
    got = []
    with pytest.raises(IntegrityError, match="chunk 2"):
        for chunk in small.read_chunks(info.name, blob_id=blob_id):
            got.append(chunk)
    assert got == [data[:SMALL], data[SMALL : 2 * SMALL]]


def test_a_sha256_that_does_not_match_is_an_integrity_error(small: BlobStore) -> None:
    info, blob_id = put(small, b"photo")
    wrong = hashlib.sha256(b"another photo").hexdigest()
    with pytest.raises(IntegrityError, match="SHA-256"):
        small.verify(info.name, blob_id=blob_id, expected_sha256=wrong)
    with pytest.raises(IntegrityError, match="SHA-256"):
        small.read_bytes(info.name, blob_id=blob_id, expected_sha256=wrong)
    with pytest.raises(IntegrityError, match="SHA-256"):
        small.read_into(info.name, io.BytesIO(), blob_id=blob_id, expected_sha256=wrong)


def test_a_missing_file_or_a_name_outside_the_store_is_an_integrity_error(small: BlobStore) -> None:
    with pytest.raises(IntegrityError, match="missing") as caught:
        small.verify("0" * 32, blob_id=bytes(16), expected_sha256="0" * 64)
    assert caught.value.affected == ("0" * 32,)
    with pytest.raises(IntegrityError, match="not an attachment file name"):
        small.read_bytes("../vault.db", blob_id=bytes(16))


# -- locking -----------------------------------------------------------------------------------


def test_after_close_the_key_is_zeroed_and_every_call_raises_vault_locked(small: BlobStore) -> None:
    info, blob_id = put(small, b"evidence")
    key = small._key
    small.close()
    assert key == bytearray(32)
    with pytest.raises(VaultLocked):
        small.read_bytes(info.name, blob_id=blob_id)
    with pytest.raises(VaultLocked):
        small.read_chunks(info.name, blob_id=blob_id)
    with pytest.raises(VaultLocked):
        put(small, b"more")
    with pytest.raises(VaultLocked):
        small.names()
    small.close()  # twice is fine


def test_locking_during_a_write_stops_it_and_leaves_no_file(small: BlobStore) -> None:
    def progress(done: int, total: int | None) -> None:
        if done >= 2 * SMALL:
            small.close()

    with pytest.raises(VaultLocked):
        small.write(io.BytesIO(os.urandom(SMALL * 5)), blob_id=os.urandom(16), progress=progress)
    assert os.listdir(small.root) == []


# -- range reads (uploads) ---------------------------------------------------------------------


class CountingAESGCM:
    """AESGCM that counts decryptions and can run a hook before each (to lock the store mid-read)."""

    def __init__(self, key: bytes, counter: dict[str, object]) -> None:
        self._real, self._counter = AESGCM(key), counter

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        return self._real.encrypt(nonce, data, aad)

    def decrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        self._counter["decrypts"] = int(self._counter["decrypts"]) + 1  # type: ignore[call-overload]
        hook = self._counter.get("before")
        if callable(hook):
            hook()
        return self._real.decrypt(nonce, data, aad)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Decryptions done by every blob key made from now on: {"decrypts": n, "before": hook or None}."""
    counter: dict[str, object] = {"decrypts": 0, "before": None}
    monkeypatch.setattr(blobstore, "AESGCM", lambda key: CountingAESGCM(key, counter))
    return counter


RANGE_DATA_SIZE = SMALL * 5 + 17


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        pytest.param(0, SMALL, id="first-chunk-exactly"),
        pytest.param(SMALL, SMALL, id="second-chunk-exactly"),
        pytest.param(SMALL - 1, 2, id="across-a-boundary"),
        pytest.param(3, 10, id="inside-one-chunk"),
        pytest.param(5, 3 * SMALL + 4, id="spanning-several"),
        pytest.param(RANGE_DATA_SIZE - 7, 7, id="up-to-eof"),
        pytest.param(5 * SMALL, 17, id="the-short-last-chunk"),
        pytest.param(0, RANGE_DATA_SIZE, id="everything"),
        pytest.param(RANGE_DATA_SIZE, 0, id="empty-at-eof"),
        pytest.param(2 * SMALL, 0, id="empty-at-a-boundary"),
    ],
)
def test_a_range_read_returns_exactly_the_bytes_asked_for(small: BlobStore, offset: int, length: int) -> None:
    data = os.urandom(RANGE_DATA_SIZE)
    info, blob_id = put(small, data)
    with small.open_reader(info.name, blob_id=blob_id) as reader:
        assert reader.size == len(data)
        assert reader.read_at(offset, length) == data[offset : offset + length]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), chunk_size=st.integers(1, 40), picks=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=8))
def test_any_range_of_any_small_blob_reads_back_exactly(
    tmp_path: Path, data: bytes, chunk_size: int, picks: list[tuple[float, float]]
) -> None:
    s = BlobStore(tmp_path / "hyp-ranges", KEY, chunk_size=chunk_size)
    info, blob_id = put(s, data)
    with s.open_reader(info.name, blob_id=blob_id) as reader:
        assert reader.size == len(data)
        for a, b in picks:
            offset = int(a * len(data))
            length = int(b * (len(data) - offset))
            assert reader.read_at(offset, length) == data[offset : offset + length]
    s.remove(info.name)


def test_an_empty_blob_has_size_zero_and_reads_only_empty_ranges(small: BlobStore) -> None:
    info, blob_id = put(small, b"")
    with small.open_reader(info.name, blob_id=blob_id) as reader:
        assert reader.size == 0
        assert reader.read_at(0, 0) == b""
        with pytest.raises(ValueError, match="holds 0 bytes"):
            reader.read_at(0, 1)


@pytest.mark.parametrize(("offset", "length"), [(-1, 1), (0, -1), (0, 101), (100, 1), (101, 0), (60, 41)])
def test_a_range_outside_the_blob_is_a_clear_value_error(small: BlobStore, offset: int, length: int) -> None:
    info, blob_id = put(small, os.urandom(100))
    with small.open_reader(info.name, blob_id=blob_id) as reader:
        with pytest.raises(ValueError, match=rf"Cannot read {length} bytes at offset {offset}: .* holds 100 bytes"):
            reader.read_at(offset, length)
        assert reader.read_at(0, 100)  # a refused range leaves the reader usable


def test_reading_a_4_mib_range_decrypts_about_four_chunks(store: BlobStore, counted: dict[str, object]) -> None:
    data = os.urandom(9 * CHUNK_SIZE + 5)
    info, blob_id = put(store, data)
    counted["decrypts"] = 0
    reader = store.open_reader(info.name, blob_id=blob_id)
    assert counted["decrypts"] == 1  # the final chunk, checked once on opening
    steps = [
        ((9 * CHUNK_SIZE, 5), 0),  # the last chunk, still held from opening
        ((0, 4 * CHUNK_SIZE), 4),
        ((4 * CHUNK_SIZE, 4 * CHUNK_SIZE), 4),
        ((8 * CHUNK_SIZE, CHUNK_SIZE + 5), 2),
        ((CHUNK_SIZE + CHUNK_SIZE // 2, 4 * CHUNK_SIZE), 5),  # not aligned: five chunks touched
        ((5 * CHUNK_SIZE + 10, 10), 0),  # the chunk the previous range ended in is held
    ]
    with reader:
        for (offset, length), cost in steps:
            counted["decrypts"] = 0
            assert reader.read_at(offset, length) == data[offset : offset + length]
            assert counted["decrypts"] == cost, (offset, length)


def test_reading_a_large_blob_in_4_mib_ranges_keeps_memory_small(store: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    with open(src, "wb") as fh:
        for _ in range(40):
            fh.write(os.urandom(1 << 20))
    blob_id = os.urandom(16)
    with open(src, "rb") as fh:
        info = store.write(fh, blob_id=blob_id)
    sha = hashlib.sha256()
    with store.open_reader(info.name, blob_id=blob_id) as reader:
        tracemalloc.start()
        try:
            for offset in range(0, reader.size, 4 << 20):
                part = reader.read_at(offset, min(4 << 20, reader.size - offset))
                sha.update(part)
                del part
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert sha.hexdigest() == info.sha256
    assert peak < 16 << 20, peak  # a range and a few chunks, never the 40 MiB file


def test_a_flipped_byte_fails_the_ranges_that_touch_its_chunk_and_no_other(small: BlobStore) -> None:
    data = os.urandom(SMALL * 5 + 17)
    info, blob_id = put(small, data)
    path = small.root / info.name
    raw = bytearray(path.read_bytes())
    raw[HEADER.size + 2 * (NONCE_SIZE + SMALL + TAG_SIZE) + NONCE_SIZE + 5] ^= 0x01  # inside chunk 2
    path.write_bytes(raw)
    with small.open_reader(info.name, blob_id=blob_id) as reader:
        for offset, length in [(2 * SMALL, 1), (SMALL + 3, SMALL), (0, reader.size), (3 * SMALL - 1, 1)]:
            with pytest.raises(IntegrityError, match="chunk 2") as caught:
                reader.read_at(offset, length)
            assert caught.value.affected == (info.name,)
        assert reader.read_at(0, 2 * SMALL) == data[: 2 * SMALL]  # the same reader goes on reading elsewhere
        assert reader.read_at(3 * SMALL, 2 * SMALL + 17) == data[3 * SMALL :]


def test_a_file_cut_anywhere_fails_as_the_reader_opens(small: BlobStore) -> None:
    info, blob_id = put(small, os.urandom(SMALL * 3 + 11))
    path = small.root / info.name
    original = path.read_bytes()
    for length in range(len(original)):  # in the header, mid-chunk, at chunk boundaries, empty
        path.write_bytes(original[:length])
        with pytest.raises(IntegrityError) as caught:
            small.open_reader(info.name, blob_id=blob_id)
        assert caught.value.affected == (info.name,)


@pytest.mark.parametrize(
    "rearrange",
    [
        pytest.param(lambda c: [c[1], c[0], *c[2:]], id="swap-first-two"),
        pytest.param(lambda c: [*c, c[-1]], id="repeat-last"),
        pytest.param(lambda c: [*c, b"x"], id="append-one-byte"),
        pytest.param(lambda c: [c[0], c[2], c[1], c[3]], id="swap-middle"),
    ],
)
def test_rearranged_or_extended_chunks_never_read_as_a_whole_range(small: BlobStore, rearrange) -> None:  # type: ignore[no-untyped-def]
    info, blob_id = put(small, os.urandom(SMALL * 4))
    header, chunks = records(small, info.name)
    (small.root / info.name).write_bytes(header + b"".join(rearrange(chunks)))
    with pytest.raises(IntegrityError):
        with small.open_reader(info.name, blob_id=blob_id) as reader:
            reader.read_at(0, reader.size)


def test_a_reader_of_a_missing_file_another_blob_or_a_name_outside_the_store_is_refused(small: BlobStore) -> None:
    info, _ = put(small, b"evidence")
    with pytest.raises(IntegrityError, match="missing"):
        small.open_reader("0" * 32, blob_id=bytes(16))
    with pytest.raises(IntegrityError, match="another attachment"):
        small.open_reader(info.name, blob_id=bytes(16))
    with pytest.raises(IntegrityError, match="not an attachment file name"):
        small.open_reader("../vault.db", blob_id=bytes(16))


def test_locking_mid_read_stops_the_reader_with_vault_locked(small: BlobStore, counted: dict[str, object]) -> None:
    info, blob_id = put(small, os.urandom(SMALL * 6))
    reader = small.open_reader(info.name, blob_id=blob_id)
    calls = iter(range(100))
    counted["before"] = lambda: next(calls) == 1 and small.close()  # lock after the first chunk of the range
    with pytest.raises(VaultLocked):
        reader.read_at(0, 4 * SMALL)
    assert reader.closed
    with pytest.raises(ValueError, match="closed"):
        reader.read_at(0, 1)
    with pytest.raises(VaultLocked):
        small.open_reader(info.name, blob_id=blob_id)


def test_a_reader_locked_before_reading_hands_out_nothing_not_even_a_chunk_it_holds(small: BlobStore) -> None:
    info, blob_id = put(small, os.urandom(SMALL * 2))
    reader = small.open_reader(info.name, blob_id=blob_id)  # holds the last chunk, decrypted on opening
    small.close()
    with pytest.raises(VaultLocked):
        reader.read_at(SMALL, SMALL)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
def test_a_reader_used_with_with_closes_its_file(small: BlobStore) -> None:
    info, blob_id = put(small, os.urandom(SMALL * 2))
    before = len(os.listdir("/proc/self/fd"))
    with small.open_reader(info.name, blob_id=blob_id) as reader:
        assert len(os.listdir("/proc/self/fd")) == before + 1
        reader.read_at(0, 1)
    assert len(os.listdir("/proc/self/fd")) == before
    with pytest.raises(ValueError, match="closed"):
        reader.read_at(0, 1)
    with pytest.raises(IntegrityError):  # and on a damaged file, opening leaves no file open either
        (small.root / info.name).write_bytes(b"FABLOB1\n")
        small.open_reader(info.name, blob_id=blob_id)
    assert len(os.listdir("/proc/self/fd")) == before


# -- partial files (downloads) -----------------------------------------------------------------


def begin(store: BlobStore, data: bytes, blob_id: bytes, **kwargs: object) -> PartialBlob:
    return store.begin_partial(hashlib.sha256(data).hexdigest(), blob_id=blob_id, size=len(data), **kwargs)  # type: ignore[arg-type]


def resumable(store: BlobStore, data: bytes, blob_id: bytes) -> int:
    """How many bytes a download of data would resume from (reopening, then closing, its partial)."""
    with begin(store, data, blob_id) as partial:
        return partial.received


def assert_stored(store: BlobStore, info: BlobInfo, blob_id: bytes, data: bytes) -> None:
    assert info == BlobInfo(name=info.name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), chunks=info.chunks)
    assert store.read_bytes(info.name, blob_id=blob_id, expected_sha256=info.sha256) == data
    assert info.name in store.names() and store.partials() == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=300),
    chunk_size=st.integers(1, 40),
    pieces=st.lists(st.integers(0, 64), max_size=20),
    crashes=st.sets(st.integers(0, 20)),
)
def test_a_download_in_pieces_of_any_size_with_crashes_anywhere_stores_exactly_its_bytes(
    tmp_path: Path, data: bytes, chunk_size: int, pieces: list[int], crashes: set[int]
) -> None:
    s = BlobStore(tmp_path / os.urandom(4).hex(), KEY, chunk_size=chunk_size)
    blob_id = os.urandom(16)
    partial, pos, sizes = begin(s, data, blob_id), 0, iter(pieces)
    for step in range(100):
        if pos == len(data) and step > 20:
            break
        n = min(next(sizes, len(data)), len(data) - pos)
        partial.append(data[pos : pos + n])
        pos += n
        if step in crashes:  # the app stops here; only whole chunks survive, and the download resumes from them
            partial.close()
            partial = begin(s, data, blob_id)
            assert partial.received == (len(data) if pos == len(data) else pos - pos % chunk_size)
            pos = partial.received
    info = partial.finish()
    assert_stored(s, info, blob_id, data)
    assert info.chunks == len(_split(data, chunk_size))
    assert list(s.read_chunks(info.name, blob_id=blob_id)) == _split(data, chunk_size)


def test_whole_chunks_are_durable_when_append_returns_and_received_counts_only_them(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(6 * CHUNK_SIZE + 100)
    blob_id = os.urandom(16)
    partial = begin(store, data, blob_id)
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    partial.append(data[: 4 * CHUNK_SIZE])  # a 4 MiB transfer chunk
    assert partial.received == partial.appended == 4 * CHUNK_SIZE and len(fsyncs) == 1
    partial.append(data[4 * CHUNK_SIZE : 5 * CHUNK_SIZE + CHUNK_SIZE // 2])  # 1.5 MiB: one chunk whole, half pending
    assert (partial.received, partial.appended, len(fsyncs)) == (5 * CHUNK_SIZE, 5 * CHUNK_SIZE + CHUNK_SIZE // 2, 2)
    partial.append(data[5 * CHUNK_SIZE + CHUNK_SIZE // 2 : 6 * CHUNK_SIZE - 1])  # still not whole: nothing to sync
    assert (partial.received, partial.appended, len(fsyncs)) == (5 * CHUNK_SIZE, 6 * CHUNK_SIZE - 1, 2)
    partial.append(data[6 * CHUNK_SIZE - 1 :])
    assert partial.received == partial.appended == len(data) and len(fsyncs) == 3
    assert_stored(store, partial.finish(), blob_id, data)


@pytest.mark.parametrize("transfer", [SMALL // 3, SMALL, SMALL * 3 // 2, SMALL * 4])
def test_a_download_loop_on_appended_works_for_any_transfer_size_and_resumes_on_received(small: BlobStore, transfer: int) -> None:
    data = os.urandom(SMALL * 7 + 9)
    blob_id = os.urandom(16)

    def fetch(partial: PartialBlob, stop_at: int) -> None:  # the way a sync client pulls transfer chunks
        while partial.appended < stop_at:
            index, skip = divmod(partial.appended, transfer)
            partial.append(data[index * transfer : (index + 1) * transfer][skip:])

    with begin(small, data, blob_id) as partial:
        fetch(partial, len(data) // 2)
        taken = partial.appended
    partial = begin(small, data, blob_id)
    assert partial.appended == partial.received == taken - taken % SMALL
    fetch(partial, len(data))
    assert_stored(small, partial.finish(), blob_id, data)


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # the unclosed file is the point: a crash closes nothing
def test_a_download_dropped_without_finishing_resumes_from_its_whole_chunks(small: BlobStore) -> None:
    data = os.urandom(SMALL * 7 + 9)
    blob_id = os.urandom(16)
    first = begin(small, data, blob_id)
    first.append(data[:100])
    first.append(data[100 : 3 * SMALL + 20])
    del first  # as if the app died: no close, no finish
    gc.collect()
    partial = begin(small, data, blob_id)
    assert partial.received == 3 * SMALL
    partial.append(data[partial.received :])
    assert_stored(small, partial.finish(), blob_id, data)


def test_a_download_resumes_after_the_process_is_killed(small: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(SMALL * 9 + 30)
    blob_id = os.urandom(16)
    (tmp_path / "download.bin").write_bytes(data)
    script = textwrap.dedent(
        f"""
        import hashlib, os
        from pathlib import Path
        from fieldapp.storage.blobstore import BlobStore
        data = Path({str(tmp_path / "download.bin")!r}).read_bytes()
        store = BlobStore(Path({str(small.root)!r}), {KEY!r}, chunk_size={SMALL})
        partial = store.begin_partial(hashlib.sha256(data).hexdigest(), blob_id={blob_id!r}, size=len(data))
        partial.append(data[: {SMALL} * 4 + 50])
        partial.append(data[{SMALL} * 4 + 50 : {SMALL} * 6 + 1])
        os._exit(3)  # killed: no close, no flush, no finally
        """
    )
    done = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 3, done.stderr
    partial = begin(small, data, blob_id)
    assert partial.received == 6 * SMALL
    partial.append(data[partial.received :])
    assert_stored(small, partial.finish(), blob_id, data)


def _flipped(raw: bytes, at: int) -> bytes:
    return raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :]


@pytest.mark.parametrize(
    ("damage", "kept_chunks"),
    [
        pytest.param(lambda raw, rec: raw[: HEADER.size + 3 * rec + 17], 3, id="cut-mid-chunk"),
        pytest.param(lambda raw, rec: raw[: HEADER.size + 3 * rec + NONCE_SIZE], 3, id="cut-after-a-nonce"),
        pytest.param(lambda raw, rec: raw[: HEADER.size + 2 * rec], 2, id="cut-at-a-boundary"),
        pytest.param(lambda raw, rec: raw + os.urandom(rec // 2), 4, id="garbage-appended"),
        pytest.param(lambda raw, rec: _flipped(raw, HEADER.size + rec + 30), 1, id="flipped-in-chunk-1"),
        pytest.param(lambda raw, rec: raw[: HEADER.size - 3], 0, id="cut-in-the-header"),
        pytest.param(lambda raw, rec: b"", 0, id="emptied"),
    ],
)
def test_a_torn_or_damaged_tail_is_cut_off_and_fetched_again(small: BlobStore, damage, kept_chunks: int) -> None:  # type: ignore[no-untyped-def]
    data = os.urandom(SMALL * 6 + 5)
    blob_id = os.urandom(16)
    partial = begin(small, data, blob_id)
    partial.append(data[: 4 * SMALL + 10])
    partial.close()
    path = small.root / partial.name
    record = NONCE_SIZE + SMALL + TAG_SIZE
    path.write_bytes(damage(path.read_bytes(), record))
    partial = begin(small, data, blob_id)
    assert partial.received == kept_chunks * SMALL
    assert path.stat().st_size == HEADER.size + kept_chunks * record  # the tail is gone from disk too
    partial.append(data[partial.received :])
    assert_stored(small, partial.finish(), blob_id, data)


def test_a_wrong_sha256_at_finish_deletes_the_partial_and_stores_nothing(small: BlobStore) -> None:
    data = os.urandom(SMALL * 3)
    partial = small.begin_partial(hashlib.sha256(b"what the service announced").hexdigest(), blob_id=os.urandom(16), size=len(data))
    partial.append(data)
    with pytest.raises(IntegrityError, match="do not match the attachment's SHA-256") as caught:
        partial.finish()
    assert caught.value.affected == (partial.name,)
    assert os.listdir(small.root) == [] and small.names() == set()


def test_finishing_before_every_byte_arrived_deletes_the_partial(small: BlobStore) -> None:
    data = os.urandom(SMALL * 3)
    partial = begin(small, data, os.urandom(16))
    partial.append(data[: 2 * SMALL + 1])
    with pytest.raises(IntegrityError, match=f"ended after {2 * SMALL + 1} of the attachment's {3 * SMALL} bytes"):
        partial.finish()
    assert os.listdir(small.root) == []


def test_bytes_beyond_the_announced_size_are_refused_and_nothing_of_them_is_stored(small: BlobStore) -> None:
    data = os.urandom(SMALL * 2 + 3)
    blob_id = os.urandom(16)
    partial = begin(small, data, blob_id)
    partial.append(data[:SMALL])
    with pytest.raises(IntegrityError, match="more than the attachment's"):
        partial.append(data[SMALL:] + b"extra")
    assert partial.received == SMALL and not partial.closed
    partial.append(data[SMALL:])
    assert_stored(small, partial.finish(), blob_id, data)


def test_an_empty_download_finishes_as_an_empty_blob(small: BlobStore) -> None:
    blob_id = os.urandom(16)
    partial = begin(small, b"", blob_id)
    assert partial.received == 0
    info = partial.finish()
    assert info.chunks == 1
    assert_stored(small, info, blob_id, b"")


def test_a_finished_download_reads_back_by_range_as_an_upload_would(store: BlobStore) -> None:
    data = os.urandom(5 * CHUNK_SIZE + 12345)
    blob_id = os.urandom(16)
    partial = begin(store, data, blob_id)
    for offset in range(0, len(data), 3 << 20):  # a 3 MiB transfer size, not a multiple of the chunk
        partial.append(data[offset : offset + (3 << 20)])
    info = partial.finish()
    with store.open_reader(info.name, blob_id=blob_id) as reader:
        assert b"".join(reader.read_at(o, min(4 << 20, reader.size - o)) for o in range(0, reader.size, 4 << 20)) == data


def test_a_partial_begun_again_with_another_blob_id_starts_over_and_another_size_gets_its_own_file(small: BlobStore) -> None:
    data = os.urandom(SMALL * 4)
    first_id, second_id = os.urandom(16), os.urandom(16)
    partial = begin(small, data, first_id)
    partial.append(data[: 3 * SMALL])
    partial.close()
    sha = hashlib.sha256(data).hexdigest()
    other_size = small.begin_partial(sha, blob_id=first_id, size=len(data) + 1)
    assert other_size.name != partial.name and other_size.received == 0
    other_size.abandon()
    assert resumable(small, data, first_id) == 3 * SMALL  # the other size never touched it
    restarted = begin(small, data, second_id)
    assert restarted.name == partial.name and restarted.received == 0
    assert (small.root / restarted.name).stat().st_size == HEADER.size
    restarted.append(data)
    assert_stored(small, restarted.finish(), second_id, data)


def test_partial_names_are_opaque_keyed_and_never_taken_for_blobs_or_temp_files(small: BlobStore) -> None:
    data = b"interview audio" * 50
    sha = hashlib.sha256(data).hexdigest()
    partial = begin(small, data, os.urandom(16))
    partial.append(data[:SMALL])
    partial.close()
    assert partial.name.startswith(".part-") and len(partial.name) == len(".part-") + 32
    assert sha[:8] not in partial.name and sha[-8:] not in partial.name
    other_key = BlobStore(small.root, bytes(reversed(KEY)), chunk_size=SMALL)
    assert other_key._partial_name(sha, len(data)) != partial.name
    (small.root / ".tmp-deadbeef").write_bytes(b"half a write")
    assert small.names() == set()
    assert small.remove_temp_files() == 1
    assert [p.name for p in small.partials()] == [partial.name]
    assert resumable(small, data, partial.blob_id) == SMALL


def test_the_vaults_tidying_on_unlock_and_orphan_collection_keep_partials(vault: Vault) -> None:
    data = os.urandom(CHUNK_SIZE + CHUNK_SIZE // 2)
    blob_id = os.urandom(16)
    partial = begin(vault.blobs, data, blob_id)
    partial.append(data[: CHUNK_SIZE + 10])
    partial.close()
    (vault.blobs.root / ".tmp-0123456789abcdef").write_bytes(b"half a write")
    assert vault.blobs.remove_temp_files() == 1
    assert vault.attachments.collect_orphans() == 0
    vault.lock()
    vault.unlock(passphrase=PASSPHRASE)  # tidies temp files and orphans again
    assert [p.name for p in vault.blobs.partials()] == [partial.name]
    partial = begin(vault.blobs, data, blob_id)
    assert partial.received == CHUNK_SIZE
    partial.append(data[CHUNK_SIZE:])
    assert_stored(vault.blobs, partial.finish(), blob_id, data)


def test_no_canary_of_a_partial_download_reaches_any_file(store: BlobStore, tmp_path: Path) -> None:
    started = time.time() - 1
    canary = f"CANARY-partial-{os.urandom(6).hex()}"
    data = (canary.encode() + os.urandom(997)) * 3000  # about 3 MB: several chunks, the canary in each
    partial = begin(store, data, os.urandom(16))
    partial.append(data[: 2 * CHUNK_SIZE + CHUNK_SIZE // 2])  # two chunks on disk, half of one pending in memory
    files = _files_under(tmp_path, Path(tempfile.gettempdir()), since=started)
    assert (store.root / partial.name) in files
    assert _leaks([canary], files) == []
    partial.close()
    partial = begin(store, data, partial.blob_id)  # and after the resume truncated and re-hashed it
    assert _leaks([canary], _files_under(tmp_path, since=started)) == []
    partial.abandon()


def test_a_full_disk_during_a_download_raises_storage_error_and_keeps_what_was_durable(tmp_path: Path) -> None:
    with small_disk_at(tmp_path / "disk", "2m") as disk:
        s = BlobStore(disk, KEY)
        data = os.urandom(5 << 20)
        blob_id = os.urandom(16)
        partial = begin(s, data, blob_id)
        with pytest.raises(StorageError, match="Not enough disk space to store the attachment") as caught:
            partial.append(data)
        assert caught.value.errno == errno.ENOSPC
        assert isinstance(caught.value.__cause__, OSError)
        assert partial.closed
        resumed = begin(s, data, blob_id)  # cutting the torn chunk needs no space
        assert 0 < resumed.received < len(data) and resumed.received % CHUNK_SIZE == 0
        resumed.abandon()
        assert os.listdir(disk) == []


def test_locking_stops_a_download_which_resumes_after_unlocking(small: BlobStore) -> None:
    data = os.urandom(SMALL * 5)
    blob_id = os.urandom(16)
    partial = begin(small, data, blob_id)
    partial.append(data[: 2 * SMALL + 3])
    small.close()
    with pytest.raises(VaultLocked):
        partial.append(data[2 * SMALL + 3 : 2 * SMALL + 4])  # even bytes that would only be buffered
    assert partial.closed
    with pytest.raises(VaultLocked):
        begin(small, data, blob_id)
    with pytest.raises(VaultLocked):
        small.remove_partials()
    unlocked = BlobStore(small.root, KEY, chunk_size=SMALL)
    partial = begin(unlocked, data, blob_id)
    assert partial.received == 2 * SMALL
    partial.append(data[partial.received :])
    assert_stored(unlocked, partial.finish(), blob_id, data)


def test_a_cancelled_resume_raises_cancelled_and_leaves_the_partial_as_it_was(small: BlobStore) -> None:
    data = os.urandom(SMALL * 8)
    blob_id = os.urandom(16)
    partial = begin(small, data, blob_id)
    partial.append(data[: 6 * SMALL])
    partial.close()
    path = small.root / partial.name
    before = path.read_bytes()
    calls = iter(range(100))
    with pytest.raises(Cancelled):
        begin(small, data, blob_id, cancel=lambda: next(calls) == 3)
    assert path.read_bytes() == before
    assert resumable(small, data, blob_id) == 6 * SMALL


def test_one_download_of_a_content_at_a_time(small: BlobStore) -> None:
    data = os.urandom(SMALL * 2)
    blob_id = os.urandom(16)
    first = begin(small, data, blob_id)
    with pytest.raises(ValueError, match="already being downloaded"):
        begin(small, data, blob_id)
    first.close()
    with begin(small, data, blob_id) as second:  # closing, here by the with block, lets it go
        second.append(data[:SMALL])
    assert second.closed
    with pytest.raises(ValueError, match="closed"):
        second.append(data[SMALL:])
    assert resumable(small, data, blob_id) == SMALL


def test_stale_partials_are_listed_and_removed_by_age_but_an_open_one_is_kept(small: BlobStore) -> None:
    old_data, new_data, open_data = os.urandom(SMALL * 2), os.urandom(SMALL * 2), os.urandom(SMALL * 2)
    for data in (old_data, new_data):
        with begin(small, data, os.urandom(16)) as partial:
            partial.append(data[:SMALL])
            if data is old_data:
                old_name = partial.name
    os.utime(small.root / old_name, (time.time() - 7200, time.time() - 7200))
    still_open = begin(small, open_data, os.urandom(16))
    os.utime(small.root / still_open.name, (time.time() - 7200, time.time() - 7200))
    listed = small.partials()
    assert len(listed) == 3 and listed[-1].modified > listed[0].modified
    assert all(p.disk_size >= HEADER.size for p in listed)
    assert small.remove_partials(older_than_s=3600) == 1
    assert old_name not in {p.name for p in small.partials()}
    assert small.remove_partials() == 1  # all that are not open
    assert [p.name for p in small.partials()] == [still_open.name]
    still_open.append(open_data)
    info = still_open.finish()
    still_open.abandon()  # after finishing: nothing to delete, the blob stays
    assert small.names() == {info.name} and small.partials() == []


def test_abandoning_a_download_deletes_its_file_open_or_closed_and_even_when_locked(small: BlobStore) -> None:
    data = os.urandom(SMALL * 3)
    partial = begin(small, data, os.urandom(16))
    partial.append(data[:SMALL])
    partial.abandon()
    assert os.listdir(small.root) == []
    partial = begin(small, data, os.urandom(16))
    partial.append(data[:SMALL])
    partial.close()
    small.close()  # cleanup in a finally block must not fail because the vault locked meanwhile
    partial.abandon()
    assert os.listdir(small.root) == []
