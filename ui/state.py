"""What every window of the app shares: the vault handle, the vault worker, the signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ui.signals import AppSignals
from ui.taskman import TaskManager

if TYPE_CHECKING:  # the vault module loads on the worker, after the unlock window is up
    from fieldapp.vault import Vault

    from ui.sync_controller import SyncController

DEFAULT_IDLE_LOCK_S = 5 * 60


@dataclass
class AppState:
    vault_path: Path
    signals: AppSignals = field(default_factory=AppSignals)
    tasks: TaskManager = field(default_factory=TaskManager)
    vault: Vault | None = None  # the handle; locked or unlocked
    idle_lock_s: int = DEFAULT_IDLE_LOCK_S
    sync: SyncController | None = None  # made with the main window
    # The embedded default (packaging/dev.sh app): a local service, and a code to enrol with it
    # once, if this vault is not enrolled yet.
    service_url: str | None = None
    enrol_code: str | None = None
    settings_file: Path | None = None  # preferences (ui/preferences.py); None: the user's config folder

    @property
    def has_vault(self) -> bool:
        return (self.vault_path / "vault.header").exists()
