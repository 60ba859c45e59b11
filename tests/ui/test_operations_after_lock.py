"""Reads queued just before a lock, answered after it: the unlock window does not say "The vault is
locked" for them (seen on a real screen after Sync now, then lock); a change refused by the lock
still says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fieldapp import domain
from fieldapp.errors import VaultLocked
from fieldapp.search import Query
from fieldapp.vault import Vault

from ui.operations import records as record_ops
from ui.state import AppState


@pytest.fixture
def state(vault: Vault) -> Iterator[AppState]:
    s = AppState(vault_path=vault.path, vault=vault)
    yield s
    s.tasks.shutdown()


def test_a_read_answered_after_the_lock_says_nothing_and_a_refused_change_still_says_so(qtbot, state: AppState, assessment_id: str) -> None:  # noqa: ANN001
    said: list[str] = []
    state.signals.error.connect(said.append)
    state.tasks.run(state.vault.lock, lambda _r: None, lambda _e: None)
    qtbot.waitUntil(lambda: state.tasks.pending == 0 and state.vault.is_locked, timeout=10_000)
    record_ops.search(state, Query(assessment_id=assessment_id)).run_in_background()
    qtbot.waitUntil(lambda: state.tasks.pending == 0, timeout=10_000)
    assert said == []
    record_ops.create_record(state, assessment_id, domain.Observation(title="ICB board"), initiator=None).run_in_background()
    qtbot.waitUntil(lambda: said != [], timeout=10_000)
    assert said == [VaultLocked.MESSAGE]
