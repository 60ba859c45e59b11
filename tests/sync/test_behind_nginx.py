"""The documented production deployment: nginx with `packaging/nginx/fieldapp.conf` (rendered with a
free port, a certificate of a private CA and short deadlines) in front of the real service. A real
sync with an attachment of several chunks passes through it, and hundreds of stalled connections
(silent ones stuck before their TLS handshake, and heads trickled a byte a second) are closed by it
while signed-in callers are served. Behind it, the enrolment limit counts each caller's own address."""

from __future__ import annotations

import dataclasses
import http.client
import io
import json
import os
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from stalls import Stalls
from sync_fixtures import Device, child_service, enrol_body, free_port, in_ci, raw_device
from tls_fixtures import THIS_COMPUTER, PrivateCa

from fieldapp import domain
from sync import protocol
from sync.server.settings import Limits

SITE = Path(__file__).resolve().parents[2] / "packaging" / "nginx" / "fieldapp.conf"
NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
ATTACHMENT_BYTES = protocol.CHUNK_SIZE + (1 << 20)  # two chunks, each larger than nginx's default body limit


@dataclasses.dataclass(frozen=True)
class Nginx:
    url: str
    port: int
    ca: PrivateCa


def _render(site: str, replacements: dict[str, str]) -> str:
    """The shipped site with these parts replaced, each found exactly once (so a change to the file
    that this test no longer matches fails here, not silently)."""
    for shipped, ours in replacements.items():
        assert site.count(shipped) == 1, f"{SITE.name} no longer holds {shipped!r} exactly once"
        site = site.replace(shipped, ours)
    return site


def _main_config(prefix: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf holds around a site, with everything nginx writes kept in `prefix`
    (run as the current user; as root, its workers stay root to reach the test's private files)."""
    temps = "\n".join(f"    {name}_temp_path {prefix / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    # Few connections per worker, so running short (and closing idle ones first) happens here too.
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
        f"events {{ worker_connections 256; }}\nhttp {{\n    access_log off;\n{temps}\n    include {site};\n}}\n"
    )


@pytest.fixture
def nginx_in_front(tmp_path: Path) -> Iterator[Callable[[int], Nginx]]:
    if NGINX is None:
        if in_ci():
            pytest.fail("nginx is not installed; .ci/run installs it (apt-get install nginx-light)")
        pytest.skip("nginx is not installed here (Debian: apt-get install nginx-light); the deployment behind it is untested")
    started: list[subprocess.Popen[bytes]] = []

    def start(service_port: int) -> Nginx:
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        ca = PrivateCa.make(tmp_path)
        issued = ca.issue(tmp_path / "tls", THIS_COMPUTER)
        port = free_port()
        site = prefix / "fieldapp.conf"
        site.write_text(_render(SITE.read_text(encoding="utf-8"), {
            "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
            "server 127.0.0.1:8765;": f"server 127.0.0.1:{service_port};",
            "/etc/ssl/fieldapp/fullchain.pem": str(issued.cert),
            "/etc/ssl/fieldapp/privkey.pem": str(issued.key),
            "client_header_timeout 10s;": "client_header_timeout 2s;",
            "keepalive_timeout 5s;": "keepalive_timeout 1s;",
            "/var/log/nginx/fieldapp-access.log": str(prefix / "access.log"),
        }), encoding="utf-8")  # fmt: skip
        (prefix / "nginx.conf").write_text(_main_config(prefix, site), encoding="utf-8")
        log = prefix / "error.log"
        process = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"], stderr=subprocess.STDOUT, stdout=open(prefix / "stdout.log", "wb"))  # noqa: SIM115
        started.append(process)
        nginx = Nginx(f"https://127.0.0.1:{port}", port, ca)
        deadline = time.monotonic() + 30
        while not _answers(nginx):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start:\n{(prefix / 'stdout.log').read_text(errors='replace')}{log.read_text(errors='replace') if log.exists() else ''}")
            time.sleep(0.05)
        return nginx

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=15)


def _answers(nginx: Nginx) -> bool:
    try:
        return requests.get(f"{nginx.url}{protocol.API}/status", verify=str(nginx.ca.pem), timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_a_real_sync_through_nginx_completes_while_hundreds_of_connections_stall_and_nginx_closes_each(
    tmp_path: Path, make_device: Callable[..., Device], nginx_in_front: Callable[[int], Nginx]
) -> None:
    with child_service(tmp_path / "service", "--trust-proxy", "127.0.0.1") as service:
        nginx = nginx_in_front(int(service.url.rsplit(":", 1)[1]))
        assessment_id, (first, second) = service.team(inspectors=2)
        laptop = make_device(dataclasses.replace(service, url=nginx.url), first, ca_bundle=str(nginx.ca.pem))
        laptop.sync()  # the assessment arrives, through nginx
        record = laptop.vault.records.create(assessment_id, domain.Observation(title="ICB board", notes="10:42 chair opens")).value
        laptop.vault.attachments.add(record.id, io.BytesIO(os.urandom(ATTACHMENT_BYTES)), name="interview.m4a")
        colleague = raw_device(service, second, "colleague")

        tls = ssl.create_default_context(cafile=str(nginx.ca.pem))
        stalls = Stalls("127.0.0.1", nginx.port, silent=150, trickling=150, tls=tls)
        with stalls:
            report = laptop.sync()
            pulls = [
                requests.post(f"{nginx.url}{protocol.API}/pull", json={"cursor": None}, headers=colleague.headers, verify=str(nginx.ca.pem), timeout=60).status_code
                for _ in range(10)
            ]  # fmt: skip
        stalls.assert_closed_by_server()
    assert (report.pushed, report.refused, report.problems) == (1, [], [])
    assert report.uploaded_bytes >= ATTACHMENT_BYTES
    assert pulls == [200] * 10
    # nginx's access log names the attachment's route, never its SHA-256 (a digest of evidence)
    access = (tmp_path / "nginx" / "access.log").read_text(encoding="utf-8")
    assert "/blobs/{sha256}" in access and "POST /v1/push" in access
    assert re.search(r"[0-9a-f]{64}", access) is None


def test_through_nginx_the_enrolment_limit_counts_each_callers_own_address_whatever_it_forges(
    tmp_path: Path, nginx_in_front: Callable[[int], Nginx]
) -> None:
    with child_service(tmp_path / "service", "--trust-proxy", "127.0.0.1") as service:
        nginx = nginx_in_front(int(service.url.rsplit(":", 1)[1]))
        forged = [_wrong_code(nginx, "127.0.0.1", f"203.0.113.{n}") for n in range(Limits().enrol_per_minute + 3)]
        assert 429 in forged and set(forged) <= {422, 429}  # one caller, whatever it claimed to be
        assert _wrong_code(nginx, "127.0.0.2", "127.0.0.1") == 422  # another caller has a limit of its own


def _wrong_code(nginx: Nginx, source: str, forwarded_for: str) -> int:
    """The status of an enrolment with a wrong code, sent through nginx from `source`, claiming to be
    forwarded for another address."""
    context = ssl.create_default_context(cafile=str(nginx.ca.pem))
    connection = http.client.HTTPSConnection("127.0.0.1", nginx.port, source_address=(source, 0), context=context, timeout=30)
    try:
        headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
        connection.request("POST", f"{protocol.API}/enrol", json.dumps(enrol_body("WRONG-CODE-0000")), headers)
        return connection.getresponse().status
    finally:
        connection.close()
