"""The attachment store: exact round trips, no plaintext on disk, every tampering caught, no leftovers."""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vault_fixtures import small_disk_at

from fieldapp.blobstore import CHUNK_SIZE, HEADER, NONCE_SIZE, TAG_SIZE, BlobInfo, BlobStore
from fieldapp.errors import Cancelled, IntegrityError, StorageError, VaultLocked

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
        from fieldapp.blobstore import BlobStore
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
