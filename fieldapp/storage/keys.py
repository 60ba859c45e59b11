"""The key hierarchy: a random data key, wrapped by a passphrase key and by a recovery key.

The header file beside the database holds salts, Argon2id parameters and the two wrapped copies
of the data key; docs/security.md describes the format for auditors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
import unicodedata
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldapp.errors import NotAVault, StorageError, ValidationError, VaultDamaged, VaultTooNew, WrongPassphrase
from fieldapp.storage.fsutil import atomic_write

HEADER_FORMAT = "fieldapp-vault-header"
HEADER_VERSION = 1
KEY_BYTES = 32
MIN_PASSPHRASE_CHARS = 8
# Crockford's base32: no I, L, O or U, so a key read aloud or copied by hand survives.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_BYTES = 20  # 160 bits -> 32 characters -> 8 groups of 4


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters; RFC 9106's second profile is the floor."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    def validate(self) -> None:
        # RFC 9106's second profile is the floor; the caps stop an edited header tying the laptop up.
        if self.memory_kib < 64 * 1024 or self.iterations < 3 or self.lanes < 4:
            raise VaultDamaged("The vault header asks for key-derivation settings below the safe minimum.")
        if self.memory_kib > 1024 * 1024 or self.iterations > 100 or self.lanes > 16:
            raise VaultDamaged("The vault header asks for implausible key-derivation settings.")


@dataclass(frozen=True)
class Slot:
    """One wrapped copy of the data key: AES-256-GCM under a key derived from a secret."""

    salt: bytes
    nonce: bytes
    wrapped: bytes


@dataclass(frozen=True)
class Header:
    vault_id: str
    created_at: str
    kdf: KdfParams
    passphrase: Slot
    recovery: Slot
    mac: bytes = b""


def derive_key(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id of a secret; about half a second with calibrated parameters."""
    kdf = Argon2id(
        salt=salt, length=KEY_BYTES, iterations=params.iterations, lanes=params.lanes, memory_cost=params.memory_kib
    )
    return kdf.derive(secret)


def calibrate(target_s: float = 0.5, *, memory_kib: int = 64 * 1024) -> KdfParams:
    """Raise the pass count until one derivation takes about target_s.

    Memory stays at RFC 9106's 64 MiB by default: a laptop app must not spike by hundreds of
    megabytes at every unlock, and extra passes buy the time cost instead.
    """
    params = replace(KdfParams(), memory_kib=max(memory_kib, KdfParams().memory_kib))
    # The first run pays for faulting in fresh memory; the faster of two is the steady cost.
    per_pass = min(_time_derivation(params), _time_derivation(params)) / params.iterations
    return replace(params, iterations=max(params.iterations, round(target_s / per_pass)))


def _time_derivation(params: KdfParams) -> float:
    start = time.perf_counter()
    derive_key(b"calibration", os.urandom(16), params)
    return time.perf_counter() - start


def subkey(data_key: bytes | bytearray, purpose: str) -> bytes:
    """A key for one purpose (database, attachments, header MAC), so no key does two jobs."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"fieldapp {purpose} v1".encode()).derive(
        bytes(data_key)
    )


def normalise_passphrase(passphrase: str) -> bytes:
    """NFC, so the same passphrase typed on another keyboard layout still opens the vault."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_new_passphrase(passphrase: str) -> None:
    if len(passphrase.strip()) < MIN_PASSPHRASE_CHARS:
        raise ValidationError(f"Choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters.")


def new_recovery_key() -> str:
    """A random recovery key in eight groups of four characters, e.g. 7K3M-Q9XA-…"""
    number = int.from_bytes(secrets.token_bytes(_RECOVERY_BYTES), "big")
    chars = []
    for _ in range(_RECOVERY_BYTES * 8 // 5):
        number, digit = divmod(number, 32)
        chars.append(_RECOVERY_ALPHABET[digit])
    text = "".join(reversed(chars))
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


# Letters the key never uses, read as the digit they are mistaken for (the key's alphabet has
# neither I, L nor O, so this is never ambiguous).
_LOOK_ALIKES = str.maketrans("OIL", "011")
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")  # a dash, as typed or as a word processor makes it


def recovery_characters(text: str) -> str:
    """A recovery key (or part of one) as typed, read as the key's own characters: any case, white
    space and dashes dropped, and the usual look-alikes (O for 0, I or L for 1) read as meant."""
    cleaned = text.upper().translate(_LOOK_ALIKES)
    return "".join(ch for ch in cleaned if not ch.isspace() and ch not in _SEPARATORS)


def normalise_recovery_key(text: str) -> bytes:
    """The key as its wrapping key is derived from, however it was typed (`recovery_characters`)."""
    return ("R:" + recovery_characters(text)).encode("ascii", errors="replace")


def new_header(data_key: bytes | bytearray, passphrase: str, recovery_key: str, params: KdfParams) -> Header:
    vault_id = str(uuid.uuid4())
    created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    header = Header(
        vault_id=vault_id,
        created_at=created_at,
        kdf=params,
        passphrase=_wrap(data_key, normalise_passphrase(passphrase), vault_id, "passphrase", params),
        recovery=_wrap(data_key, normalise_recovery_key(recovery_key), vault_id, "recovery", params),
    )
    return seal(header, data_key)


def with_new_passphrase(header: Header, data_key: bytes | bytearray, passphrase: str) -> Header:
    """The same data key, wrapped under a new passphrase; nothing else changes."""
    slot = _wrap(data_key, normalise_passphrase(passphrase), header.vault_id, "passphrase", header.kdf)
    return seal(replace(header, passphrase=slot), data_key)


def unwrap_with_passphrase(header: Header, passphrase: str) -> bytearray:
    return _unwrap(header, "passphrase", normalise_passphrase(passphrase))


def unwrap_with_recovery_key(header: Header, recovery_key: str) -> bytearray:
    return _unwrap(header, "recovery", normalise_recovery_key(recovery_key))


def _wrap(data_key: bytes | bytearray, secret: bytes, vault_id: str, slot: str, params: KdfParams) -> Slot:
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = derive_key(secret, salt, params)
    wrapped = AESGCM(kek).encrypt(nonce, bytes(data_key), _slot_ad(vault_id, slot, params))
    return Slot(salt=salt, nonce=nonce, wrapped=wrapped)


def _unwrap(header: Header, slot_name: str, secret: bytes) -> bytearray:
    slot: Slot = getattr(header, slot_name)
    kek = derive_key(secret, slot.salt, header.kdf)
    try:
        data_key = bytearray(AESGCM(kek).decrypt(slot.nonce, slot.wrapped, _slot_ad(header.vault_id, slot_name, header.kdf)))
    except InvalidTag:
        raise WrongPassphrase() from None
    if not hmac.compare_digest(header.mac, _header_mac(header, data_key)):
        data_key[:] = bytes(len(data_key))
        raise VaultDamaged("The vault header was altered after it was written; restore it from a backup.")
    return data_key


def _slot_ad(vault_id: str, slot: str, params: KdfParams) -> bytes:
    # Binding the KDF parameters means a header edited to weaken them no longer unwraps.
    return f"fieldapp-key-slot-v1|{vault_id}|{slot}|{params.memory_kib}|{params.iterations}|{params.lanes}".encode()


def seal(header: Header, data_key: bytes | bytearray) -> Header:
    return replace(header, mac=_header_mac(header, data_key))


def _header_mac(header: Header, data_key: bytes | bytearray) -> bytes:
    return hmac.new(subkey(data_key, "header mac"), _canonical(_body(header)), hashlib.sha256).digest()


def _body(header: Header) -> dict:
    def slot(s: Slot) -> dict:
        return {"salt": _b64(s.salt), "nonce": _b64(s.nonce), "wrapped": _b64(s.wrapped)}

    return {
        "vault_id": header.vault_id,
        "created_at": header.created_at,
        "kdf": {
            "alg": "argon2id",
            "memory_kib": header.kdf.memory_kib,
            "iterations": header.kdf.iterations,
            "lanes": header.kdf.lanes,
        },
        "slots": {"passphrase": slot(header.passphrase), "recovery": slot(header.recovery)},
    }


def header_bytes(header: Header) -> bytes:
    # Format and version come first, so even a header cut short is recognisably ours.
    document = {"format": HEADER_FORMAT, "version": HEADER_VERSION, "body": _body(header)}
    # The checksum catches accidental damage before any key is derived; the MAC, checked once
    # the data key is known, catches deliberate edits.
    document["checksum"] = _checksum(document)
    document["mac"] = _b64(header.mac)
    return json.dumps(document, indent=1).encode() + b"\n"


def _checksum(document: dict) -> str:
    covered = {k: document.get(k) for k in ("format", "version", "body")}
    return hashlib.sha256(_canonical(covered)).hexdigest()


def write_header(path: Path, header: Header) -> None:
    try:
        atomic_write(path, header_bytes(header))
    except OSError as exc:
        raise StorageError(f"Could not write the vault header {path.name}: {exc.strerror or exc}.", exc.errno) from exc


def read_header(path: Path) -> Header:
    """Parse and check the header; a damaged one is told apart from a foreign or newer one."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotAVault(f"{path.parent} has no vault header ({path.name}); it is not a fieldapp vault.") from None
    ours = not raw.strip() or HEADER_FORMAT.encode() in raw[:64]  # an emptied header was ours too
    damaged = VaultDamaged(f"The vault header {path.name} is damaged (truncated or altered).", affected=(path.name,))
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise (damaged if ours else NotAVault(f"{path} is not a fieldapp vault header.")) from None
    if not isinstance(document, dict) or not {"body", "checksum"} <= document.keys():
        raise damaged if ours else NotAVault(f"{path} is not a fieldapp vault header.")
    if document["checksum"] != _checksum(document):
        raise damaged
    if document.get("format") != HEADER_FORMAT:
        raise NotAVault(f"{path} is not a fieldapp vault header.")
    if document.get("version") != HEADER_VERSION:
        raise VaultTooNew(f"This vault was made by a newer fieldapp (header version {document.get('version')}); update the app.")
    try:
        return _parse_body(document)
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        raise damaged from None


def _parse_body(document: dict) -> Header:
    body = document["body"]
    kdf = body["kdf"]
    if kdf["alg"] != "argon2id":
        raise ValueError("unknown KDF")
    params = KdfParams(int(kdf["memory_kib"]), int(kdf["iterations"]), int(kdf["lanes"]))
    params.validate()
    slots = body["slots"]
    return Header(
        vault_id=str(body["vault_id"]),
        created_at=str(body["created_at"]),
        kdf=params,
        passphrase=_slot(slots["passphrase"]),
        recovery=_slot(slots["recovery"]),
        mac=_unb64(document["mac"]),
    )


def _slot(data: dict) -> Slot:
    return Slot(salt=_unb64(data["salt"]), nonce=_unb64(data["nonce"]), wrapped=_unb64(data["wrapped"]))


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
