"""The operator's routes: `/healthz` and `/readyz` answer without a token and say no more than which
dependency does not answer; `/metrics` counts requests by route template, sync sizes and the upload
queue, with no id, token or evidence in it, added up across `serve --workers 2`, for the bearer of
its token only."""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

import pytest
import requests
from inprocess import serving
from sync_fixtures import ChildService, Service, free_port, raw_device

from sync import protocol
from sync.server import sealing
from sync.server.app import create_app
from sync.server.blob_folder import BlobFolder
from sync.server.blobs import Upload
from sync.server.cli import main
from sync.server.metrics import QueueDepth
from sync.server.routes.operations import BAD_METRICS_TOKEN, METRICS_OFF
from sync.server.service import Service as ServerService
from sync.server.settings import Settings

TOKEN = "metrics-token-0123456789abcdef"


def test_healthz_and_readyz_answer_a_stranger_with_ok(service: Service) -> None:
    health = service.http("GET", f"{service.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = service.http("GET", f"{service.url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_readyz_names_each_dependency_that_does_not_answer_and_nothing_more(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "service", database_url=f"sqlite:///{tmp_path / 'no such folder' / 'service.db'}",
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )  # fmt: skip
    app = create_app(settings, migrate=False)
    settings.blobs_dir.rmdir()  # made at start, empty
    settings.blobs_dir.write_bytes(b"")  # a file where the blob folder should be: nothing can be stored
    with serving(app) as adapter, requests.Session() as session:
        session.mount("http://service/", adapter)
        answer = session.get("http://service/readyz", timeout=10)
    assert answer.status_code == 503
    assert answer.json() == {"status": "not ready", "failing": ["database", "blob store", "redis"]}
    app.state.service.engine.dispose()


def _metrics(url: str, token: str | None = TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{url}/metrics", headers=headers, timeout=10)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition, found by its name and labels (in any order)."""
    for line in text.splitlines():
        found = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if found and dict(re.findall(r'(\w+)="([^"]*)"', found.group(1) or "")) == labels:
            return float(found.group(2))
    raise AssertionError(f"no sample {name} {labels}")


def test_metrics_under_two_workers_add_up_every_request_by_route_template_with_no_id_in_any_label(tmp_path: Path) -> None:
    token_file = tmp_path / "metrics-token"
    token_file.write_text(TOKEN + "\n")
    child = ChildService(tmp_path / "service", None, serve_args=("--workers", "2", "--metrics-token-file", str(token_file)))
    child.start()
    try:
        settings = Settings(data_dir=child.data)
        service = Service(child.url, settings, sealing.engine_for(settings))  # the service's key, from its data folder
        assessment, (inspector,) = service.team()
        device = raw_device(service, inspector)
        sent, awaited = b"a scan's bytes" * 100, b"another scan's bytes" * 100
        shas = [hashlib.sha256(data).hexdigest() for data in (sent, awaited)]
        naming = tuple(
            {"id": f"att-{n}", "name": f"scan-{n}.pdf", "media_type": "application/pdf", "sha256": sha, "size": len(data)}
            for n, (sha, data) in enumerate(zip(shas, (sent, awaited)))
        )  # fmt: skip
        pushes = [device.push(device.revision(assessment, attachments=naming if n == 0 else ())) for n in range(6)]
        assert [p.status_code for p in pushes] == [200] * 6
        chunk = device.request("PUT", f"/blobs/{shas[0]}/chunks/0", data=sent, headers={**device.headers, "Content-Type": "application/octet-stream"})
        assert chunk.status_code == 200 and chunk.json()["complete"] is True
        assert device.pull().status_code == 200
        text = _metrics(child.url).text
        service.engine.dispose()
    finally:
        child.stop()
    assert _sample(text, "fieldapp_http_requests_total", route="/v1/push", method="POST", status="200") == 6
    assert _sample(text, "fieldapp_http_requests_total", route="/v1/pull", method="POST", status="200") == 1
    assert _sample(text, "fieldapp_http_requests_total", route="/v1/blobs/{sha256}/chunks/{index}", method="PUT", status="200") == 1
    assert _sample(text, "fieldapp_push_revisions_count") == 6 and _sample(text, "fieldapp_push_revisions_sum") == 6
    assert _sample(text, "fieldapp_pull_revisions_count") == 1  # its own revisions are not sent back to it
    assert _sample(text, "fieldapp_http_request_bytes_sum", route="/v1/blobs/{sha256}/chunks/{index}") == len(sent)
    assert _sample(text, "fieldapp_uploads_part_sent") == 0 and _sample(text, "fieldapp_attachments_awaited") == 1
    for secret in (device.device_id, device.token, assessment, inspector, *shas, "scan-0.pdf", "ICB board"):
        assert secret not in text


def test_metrics_need_their_token_and_are_off_without_one(tmp_path: Path, inprocess_sqlite_service: Service) -> None:
    service = inprocess_sqlite_service
    off = service.http("GET", f"{service.url}/metrics", timeout=10)
    assert off.status_code == 404 and off.json()["detail"] == METRICS_OFF
    settings = Settings(data_dir=tmp_path / "with-token", metrics_token=TOKEN)
    with serving(create_app(settings)) as adapter, requests.Session() as session:
        session.mount("http://service/", adapter)
        assert session.get("http://service/metrics", timeout=10).status_code == 401
        wrong = session.get("http://service/metrics", headers={"Authorization": "Bearer not-the-token-at-all"}, timeout=10)
        assert wrong.status_code == 401 and wrong.json()["detail"] == BAD_METRICS_TOKEN
        shown = session.get("http://service/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/plain")
        unknown = session.get("http://service/v1/blobs/" + "ab" * 32 + "/nowhere", timeout=10)
        assert unknown.status_code in (401, 404)
        text = session.get("http://service/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    assert _sample(text, "fieldapp_http_requests_total", route="/metrics", method="GET", status="401") >= 2
    assert "ab" * 32 not in text and 'route="unmatched"' in text  # a path no route takes is never named


def test_the_queue_shows_part_uploads_stale_ones_and_attachments_awaited(inprocess_sqlite_service: Service) -> None:
    service = inprocess_sqlite_service
    running = ServerService(service.settings)
    folder = running.blobs
    assert isinstance(folder, BlobFolder)
    for sha in ("d" * 64, "e" * 64):
        folder.add_chunk(Upload("device", sha, 1024), 0, bytes(1024))
    abandoned = folder.staging_dir(Upload("device", "e" * 64, 1024))
    old = time.time() - service.settings.limits.staging_max_age_s - 60
    for path in (abandoned / "0", abandoned):
        os.utime(path, (old, old))
    shown = {metric.name: metric.samples[0].value for metric in QueueDepth(running).collect()}
    assert shown == {"fieldapp_uploads_part_sent": 2, "fieldapp_uploads_stale": 1, "fieldapp_attachments_awaited": 0}
    running.engine.dispose()


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_the_operator_s_routes_are_left_out_of_the_protocol_s_document(inprocess_sqlite_service: Service, path: str) -> None:
    document = inprocess_sqlite_service.http("GET", f"{inprocess_sqlite_service.url}{protocol.API}/openapi.json", timeout=30).json()
    assert path not in document["paths"]


def test_serve_refuses_a_metrics_token_file_it_cannot_use_saying_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = tmp_path / "short-token"
    short.write_text("abc\n")
    for given, words in ((tmp_path / "missing", "Cannot read the metrics token file"), (short, "shorter than 16 characters")):
        assert main(["--data", str(tmp_path / "service"), "serve", "--metrics-token-file", str(given)]) == 1
        assert words in capsys.readouterr().err
