"""The proof a device gives when it enrols: an Ed25519 signature, under its own key, over the one-time
code it spends and the identity it registers. A public key alone (every teammate's pull carries it)
then enrols nothing, and a proof is good for one code only, which the service spends."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Its own domain: no proof can ever be read as a revision's signature, nor one of those as a proof.
_PROOF_DOMAIN = b"fieldapp-enrolment-proof-v1\n"


def normal_code(code: str) -> str:
    """Codes are forgiving: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _message(code: str, device_id: str, public_key: bytes) -> bytes:
    return _PROOF_DOMAIN + f"{normal_code(code)}\n{device_id}\n{public_key.hex()}".encode()


def sign(private_key: Ed25519PrivateKey, code: str, device_id: str, public_key: bytes) -> bytes:
    """The device's proof that it holds the key it enrols with, for this code alone."""
    return private_key.sign(_message(code, device_id, public_key))


def holds(public_key: bytes, signature: bytes, code: str, device_id: str) -> bool:
    """Whether the proof was made with the private half of this key, for this code and device id."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, _message(code, device_id, public_key))
    except (InvalidSignature, ValueError):
        return False
    return True
