"""The sync progress the app shows: a bar that fills as revisions and attachment bytes go (their
totals are known before they start), and a busy bar while changes arrive (the service does not
say how many remain); against the real service on 127.0.0.1, with real widgets offscreen."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sync_fixtures import Device, Service, colleagues
from vault_fixtures import sample_contents

from fieldapp import domain
from sync.client.engine import Progress
from sync.server.models import Revision

from ui.state import AppState
from ui.sync_controller import SyncController, SyncView
from ui.sync_panel import SyncStatus

WAITING = 1_200  # more than two push batches of 500: the pipelined push, whose total needs counting


@dataclass(frozen=True)
class Shown:
    """One moment of the status widget, read from the widget itself after it took a view."""

    text: str
    minimum: int
    maximum: int  # 0 (with minimum 0): a busy bar
    value: int
    visible: bool


@pytest.fixture
def app_state(qtbot) -> Iterator[list[AppState]]:  # noqa: ANN001
    states: list[AppState] = []
    yield states
    for state in states:
        qtbot.waitUntil(lambda s=state: s.tasks.pending == 0, timeout=10_000)  # the status read after a sync
        if state.sync is not None:
            state.sync.shutdown()
        state.tasks.shutdown()


def _with_waiting_revisions(service: Service, make_device: Callable[..., Device], count: int) -> tuple[Device, int]:
    assessment_id, (inspector,) = service.team()
    device = make_device(service, inspector)
    device.sync()
    for n in range(count):  # drafts: the sync cuts each into its revision, as it does for typed work
        device.vault.records.create(assessment_id, domain.Observation(title=f"Ward round {n}", notes="10:42 handover observed"))
    status = device.vault.replication.status()
    return device, status.waiting + status.unsaved


def _on_service(service: Service) -> int:
    with Session(service.engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Revision)) or 0


def _rises_to(values: list[int], total: int) -> bool:
    return values == sorted(values) and values[-1] == total


def test_the_status_bar_fills_up_to_every_waiting_revision_and_is_busy_while_changes_arrive(
    qtbot, sqlite_service: Service, make_device: Callable[..., Device], app_state: list[AppState]  # noqa: ANN001
) -> None:
    device, waiting = _with_waiting_revisions(sqlite_service, make_device, WAITING)
    assert waiting == WAITING
    state = AppState(vault_path=device.vault.path, vault=device.vault)
    state.sync = controller = SyncController(state)
    app_state.append(state)
    status = SyncStatus(controller)
    qtbot.addWidget(status)
    bar = status.progress
    shown: list[Shown] = []
    # Connected after the widget's own slot: each entry is what the widget shows for that view.
    controller.status_changed.connect(
        lambda view: shown.append(Shown(status.text.text(), bar.minimum(), bar.maximum(), bar.value(), not bar.isHidden()))
    )

    with qtbot.waitSignal(controller.synced, timeout=30_000):
        controller.sync_now()

    push = [s for s in shown if s.text.startswith("Sending revisions")]
    assert push and all(s.visible and (s.minimum, s.maximum) == (0, WAITING) for s in push), push
    assert _rises_to([s.value for s in push], WAITING), [s.value for s in push]
    assert push[-1].text == f"Sending revisions ({WAITING} of {WAITING})"
    pull = [s for s in shown if s.text == "Receiving changes"]
    assert pull and all(s.visible and (s.minimum, s.maximum) == (0, 0) for s in pull), pull  # a busy bar
    qtbot.waitUntil(lambda: controller.view.state == "up-to-date", timeout=10_000)
    assert bar.isHidden()
    assert _on_service(sqlite_service) == WAITING


def test_the_engine_tells_how_many_revisions_it_sends_of_how_many_and_leaves_the_pull_open_ended(
    sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    device, waiting = _with_waiting_revisions(sqlite_service, make_device, WAITING)
    seen: list[Progress] = []
    report = device.sync(progress=seen.append)

    push = [p for p in seen if p.stage == "push"]
    assert {p.total for p in push} == {waiting}
    assert push[0].done == 0 and _rises_to([p.done for p in push], waiting)
    assert report.pushed == waiting
    assert {p.total for p in seen if p.stage == "pull"} == {None}


def test_the_engine_tells_attachment_bytes_sent_and_received_of_all_there_are_to_move(
    sqlite_service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, first, second, _ = colleagues(sqlite_service, make_device)
    record = first.vault.records.create(assessment_id, sample_contents()[1]).value
    rng = random.Random(7)
    files = [rng.randbytes(300_000), rng.randbytes(5 << 20)]  # the larger one is two transfer chunks
    for n, data in enumerate(files):
        first.vault.attachments.add(record.id, io.BytesIO(data), name=f"scan-{n}.pdf")
    total = sum(len(data) for data in files)

    sent: list[Progress] = []
    first.sync(progress=sent.append)
    received: list[Progress] = []
    second.sync(progress=received.append)

    for seen, stage, words in ((sent, "upload", "Sending attachments"), (received, "download", "Receiving attachments")):
        moving = [p for p in seen if p.stage == stage]
        assert {p.total for p in moving} == {total}, stage
        assert moving[0].done == 0 and _rises_to([p.done for p in moving], total), (stage, [p.done for p in moving])
        assert moving[-1].message == f"{words} ({total / 1e6:.1f} of {total / 1e6:.1f} MB)"
    assert [p.total for p in sent if p.stage == "push"][-1] == 1  # one record's revision: its batch was all there was


def test_a_total_larger_than_the_bar_can_count_is_scaled_to_fit(qtbot, tmp_path: Path, app_state: list[AppState]) -> None:  # noqa: ANN001
    state = AppState(vault_path=tmp_path / "vault")
    state.sync = controller = SyncController(state)
    app_state.append(state)
    status = SyncStatus(controller)
    qtbot.addWidget(status)
    gigabytes = 6_000_000_000  # bytes of video: more than a C int, which is what QProgressBar counts in

    status.show_view(SyncView("syncing", "Sending attachments (3000.0 of 6000.0 MB)", progress=(gigabytes // 2, gigabytes)))

    assert status.progress.maximum() > 0
    assert status.progress.value() / status.progress.maximum() == pytest.approx(0.5)
