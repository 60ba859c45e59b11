"""A private certificate authority of a service's own, as an administrator would make one, and the
certificates it issues: for the tests of TLS to the service, and of nginx in front of it."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

THIS_COMPUTER = (x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"))


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


@dataclass(frozen=True)
class PrivateCa:
    """A CA of a service's own, as an administrator would make for a private service."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    pem: Path  # the bundle the inspector chooses in Sync settings

    @classmethod
    def make(cls, folder: Path, name: str = "Northshire ICS private CA") -> PrivateCa:
        key = ec.generate_private_key(ec.SECP256R1())  # P-256: a key in microseconds, unlike RSA
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            _valid_for_a_day(x509.CertificateBuilder(), subject, subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        pem = folder / f"{name.replace(' ', '-')}.pem"
        pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(key, cert, pem)

    def issue(self, folder: Path, names: tuple[x509.GeneralName, ...]) -> Issued:
        """A server certificate for exactly these names, signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fieldapp service")])
        cert = (
            _valid_for_a_day(x509.CertificateBuilder(), subject, self.cert.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        issued = Issued(folder / "service.pem", folder / "service.key")
        issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        issued.key.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        return issued


def _valid_for_a_day(
    builder: x509.CertificateBuilder, subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        builder.subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
    )  # fmt: skip


def _usage(*, cert_sign: bool = False, digital_signature: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip
