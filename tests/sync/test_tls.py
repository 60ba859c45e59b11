"""TLS to the service: verified by default, against the CA bundle chosen in Sync settings when one
is, whatever REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE say, and never to a certificate for another name.
The real service serves https on 127.0.0.1 with certificates made here by a private CA."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests.certs
from cryptography import x509
from sync_fixtures import Service, new_device_identity, running_service, stored
from tls_fixtures import THIS_COMPUTER, Issued, PrivateCa
from vault_fixtures import PASSPHRASE, Template

from fieldapp import domain
from fieldapp.vault import Vault
from sync.client.engine import engine_for
from sync.client.enrolment import enrol
from sync.client.errors import InsecureService
from sync.client.transport import HttpTransport, RetryPolicy

ENVIRONMENT_BUNDLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # what requests reads, unless told otherwise


# -- the real service over https ----------------------------------------------------------------------


def https_service(data_dir: Path, issued: Issued):  # noqa: ANN201 - a context manager of Service
    """The real app over https with this certificate (see `running_service`)."""
    return running_service(data_dir, tls=(issued.cert, issued.key))


@contextmanager
def garbling_first_answer(issued: Issued) -> Iterator[tuple[str, list[str]]]:
    """A TLS server on 127.0.0.1 (not our service: a connection broken on the way) whose first
    answer is cut by a garbled TLS record after a proper handshake, and whose later ones arrive
    whole. Yields its URL and what each connection got."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.cert, issued.key)
    listener = socket.create_server(("127.0.0.1", 0))
    answered: list[str] = []

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            with context.wrap_socket(raw, server_side=True) as tls:
                tls.recv(65536)
                body = b'{"protocol": 1, "time": "2026-11-23T10:00:00Z"}'
                if not answered:
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10])
                    # Then an application-data record of zeros, which no key decrypts (bad record MAC).
                    with socket.socket(fileno=os.dup(tls.fileno())) as under:
                        under.sendall(b"\x17\x03\x03\x00\x20" + bytes(32))
                    answered.append("garbled")
                else:
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                    answered.append("whole")

    thread = threading.Thread(target=serve, name="garbling-tls", daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}", answered
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (a close alone does not, on Linux)
        listener.close()
        thread.join(timeout=5)


@pytest.fixture
def ca(tmp_path: Path) -> PrivateCa:
    return PrivateCa.make(tmp_path)


@pytest.fixture
def private_service(ca: PrivateCa, tmp_path: Path) -> Iterator[Service]:
    """A service whose certificate, for 127.0.0.1 and localhost, only the private CA vouches for."""
    with https_service(tmp_path / "service", ca.issue(tmp_path / "tls", THIS_COMPUTER)) as running:
        yield running


@pytest.fixture
def laptop(vault_template: Template, tmp_path: Path) -> Iterator[Callable[[], Vault]]:
    """Fresh vaults, copied from the session's template, each with a device key of its own."""
    opened: list[Vault] = []

    def make() -> Vault:
        path = tmp_path / f"vault-{len(opened)}"
        shutil.copytree(vault_template.path, path)
        vault = Vault.open(path, passphrase=PASSPHRASE)
        new_device_identity(vault)
        opened.append(vault)
        return vault

    yield make
    for vault in opened:
        vault.lock()


def _enrol_and_sync(service: Service, vault: Vault, ca_bundle: str | None) -> None:
    """Enrol over https, then sync twice: the assessment comes down, a new record goes up."""
    assessment_id, (inspector,) = service.team()
    link = enrol(vault, service.url, service.code(inspector), ca_bundle=ca_bundle, label="laptop")
    assert link.ca_bundle == (ca_bundle or "")  # remembered, so every later sync uses it too
    engine, transport = engine_for(vault)
    try:
        engine.run()  # the assessment arrives
        vault.records.create(assessment_id, domain.Observation(title="ICB board", notes="10:42 chair opens"))
        report = engine.run()
    finally:
        transport.close()
    assert (report.pushed, report.refused, report.problems) == (1, [], [])
    assert stored(service)["records"] == 1


# -- the tests ---------------------------------------------------------------------------------------


def test_without_a_ca_bundle_a_privately_signed_service_is_refused_before_anything_is_sent(
    private_service: Service, laptop: Callable[[], Vault]
) -> None:
    _, (inspector,) = private_service.team()
    with pytest.raises(InsecureService) as refused:
        enrol(laptop(), private_service.url, private_service.code(inspector))
    words = str(refused.value)
    assert "certificate could not be verified" in words and "CA bundle in Sync settings" in words, words
    assert stored(private_service)["codes_used"] == 0  # the one-time code never left the laptop


def test_with_the_private_ca_in_settings_a_vault_enrols_and_syncs_over_https(
    private_service: Service, ca: PrivateCa, laptop: Callable[[], Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ENVIRONMENT_BUNDLES:  # the settings alone, on any machine (the next test adds these)
        monkeypatch.delenv(variable, raising=False)
    _enrol_and_sync(private_service, laptop(), str(ca.pem))


@pytest.mark.parametrize("variable", ENVIRONMENT_BUNDLES)
def test_the_ca_bundle_in_settings_wins_over_one_named_in_the_environment(
    variable: str, private_service: Service, ca: PrivateCa, laptop: Callable[[], Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    for other in ENVIRONMENT_BUNDLES:
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(variable, requests.certs.where())  # a real bundle, which does not hold the private CA
    _enrol_and_sync(private_service, laptop(), str(ca.pem))


def test_a_service_the_chosen_ca_did_not_sign_is_refused_in_words_naming_that_file(
    private_service: Service, laptop: Callable[[], Vault], tmp_path: Path
) -> None:
    other_ca = PrivateCa.make(tmp_path, "Some other CA")
    _, (inspector,) = private_service.team()
    with pytest.raises(InsecureService) as refused:
        enrol(laptop(), private_service.url, private_service.code(inspector), ca_bundle=str(other_ca.pem))
    words = str(refused.value)
    assert "could not be verified with the CA bundle chosen in Sync settings" in words and str(other_ca.pem) in words, words
    assert stored(private_service)["codes_used"] == 0


def test_a_certificate_for_another_name_is_refused_even_from_the_right_ca(
    ca: PrivateCa, laptop: Callable[[], Vault], tmp_path: Path
) -> None:
    elsewhere = ca.issue(tmp_path / "tls", (x509.DNSName("example.org"),))
    with https_service(tmp_path / "service", elsewhere) as service:
        _, (inspector,) = service.team()
        with pytest.raises(InsecureService) as refused:
            enrol(laptop(), service.url, service.code(inspector), ca_bundle=str(ca.pem))
        assert stored(service)["codes_used"] == 0
    words = str(refused.value)
    assert "127.0.0.1" in words and "another name" in words, words


def test_an_answer_garbled_on_the_way_after_the_handshake_is_fetched_again_not_called_insecure(ca: PrivateCa, tmp_path: Path) -> None:
    with garbling_first_answer(ca.issue(tmp_path / "tls", THIS_COMPUTER)) as (url, answered):
        transport = HttpTransport(url, ca_bundle=str(ca.pem), retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.02))
        try:
            answer = transport.request("GET", "/api/v1/status")
        finally:
            transport.close()
    assert (answer.status, answered) == (200, ["garbled", "whole"])
