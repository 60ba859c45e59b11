"""The first-run wizard driven by typing: passphrase refused or accepted, vault made, key kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWizard

from fieldapp.storage import keys
from fieldapp.vault import Vault

from ui.first_run import FirstRunWizard
from ui.state import AppState

STRONG = "violet ferry lamp orchard"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppState]:
    monkeypatch.setattr(keys, "calibrate", lambda *a, **k: keys.KdfParams())  # real Argon2id, no calibration
    s = AppState(vault_path=tmp_path / "vault")
    yield s
    s.tasks.shutdown()
    if s.vault is not None:
        s.vault.lock()


@pytest.fixture
def wizard(qtbot, state: AppState) -> FirstRunWizard:  # noqa: ANN001 - pytest-qt fixture
    w = FirstRunWizard(state)
    qtbot.addWidget(w)
    w.show()
    return w


def next_button(wizard: FirstRunWizard) -> QAbstractButton:
    """The button that moves on from this page: Next, or its commit variant."""
    page = wizard.currentPage()
    which = QWizard.WizardButton.CommitButton if page.isCommitPage() else QWizard.WizardButton.NextButton
    return wizard.button(which)


def type_passphrases(qtbot, wizard: FirstRunWizard, first: str, second: str) -> None:  # noqa: ANN001
    page = wizard.passphrase_page
    page.first.clear()
    page.second.clear()
    qtbot.keyClicks(page.first, first)
    qtbot.keyClicks(page.second, second)


def wait_for_recovery_key(qtbot, wizard: FirstRunWizard) -> str:  # noqa: ANN001
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery_page, timeout=20_000)
    return wizard.recovery_page.key.text()


def test_the_wizard_is_titled_for_the_inspector(wizard: FirstRunWizard) -> None:
    assert wizard.windowTitle() == "Create your fieldapp vault"


def test_a_weak_passphrase_is_refused_with_a_reason_and_next_stays_disabled(qtbot, wizard: FirstRunWizard) -> None:  # noqa: ANN001
    type_passphrases(qtbot, wizard, "password1", "password1")
    page = wizard.passphrase_page
    assert not next_button(wizard).isEnabled()
    assert "not accepted" in page.verdict.text() and "common" in page.verdict.text()
    assert page.meter.minimum() == 0 and page.meter.maximum() == 4 and page.meter.value() == 0
    qtbot.keyClick(page.second, Qt.Key.Key_Return)
    assert wizard.currentPage() is page


def test_two_different_passphrases_are_refused(qtbot, wizard: FirstRunWizard) -> None:  # noqa: ANN001
    type_passphrases(qtbot, wizard, STRONG, STRONG + "x")
    assert not next_button(wizard).isEnabled()
    assert "not the same" in wizard.passphrase_page.verdict.text()


def test_a_strong_passphrase_typed_twice_enables_next_and_fills_the_meter(qtbot, wizard: FirstRunWizard) -> None:  # noqa: ANN001
    type_passphrases(qtbot, wizard, STRONG, STRONG)
    assert next_button(wizard).isEnabled()
    assert wizard.passphrase_page.meter.value() >= 3
    assert wizard.passphrase_page.first.echoMode() == QLineEdit.EchoMode.Password
    assert wizard.passphrase_page.second.echoMode() == QLineEdit.EchoMode.Password


def test_the_wizard_creates_the_vault_and_hands_it_over_unlocked_once_the_key_is_checked(
    qtbot, wizard: FirstRunWizard, state: AppState, tmp_path: Path  # noqa: ANN001
) -> None:
    type_passphrases(qtbot, wizard, STRONG, STRONG)
    qtbot.keyClick(wizard.passphrase_page.second, Qt.Key.Key_Return)  # Enter advances
    assert wizard.currentPage() is wizard.creating_page
    assert wizard.creating_page.busy.maximum() == 0  # busy, not a fake percentage
    key = wait_for_recovery_key(qtbot, wizard)
    groups = key.split("-")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert wizard.recovery_page.key.isReadOnly()

    qtbot.mouseClick(wizard.recovery_page.copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == key
    wizard.recovery_page.save_recovery_key_to(tmp_path / "recovery.txt")
    assert key in (tmp_path / "recovery.txt").read_text(encoding="utf-8")

    assert not next_button(wizard).isEnabled()  # not until the inspector says it is stored
    qtbot.keyClick(wizard.recovery_page.kept, Qt.Key.Key_Space)
    assert next_button(wizard).isEnabled()
    qtbot.mouseClick(next_button(wizard), Qt.MouseButton.LeftButton)

    check = wizard.check_page
    assert wizard.currentPage() is check and 2 <= check.check_group_index <= 8
    assert f"group {check.check_group_index}" in check.prompt.text()
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    qtbot.keyClicks(check.answer, "ZZZZ" if groups[check.check_group_index - 1] != "ZZZZ" else "YYYY")
    assert not finish.isEnabled()
    check.answer.clear()
    answer = groups[check.check_group_index - 1].lower()
    qtbot.keyClicks(check.answer, f" {answer[:2]}-{answer[2:]} ")  # any case, spaces and dashes
    assert finish.isEnabled()
    with qtbot.waitSignal(wizard.created, timeout=5_000) as created:
        qtbot.keyClick(check.answer, Qt.Key.Key_Return)  # Enter finishes

    vault = created.args[0]
    state.vault = vault
    assert isinstance(vault, Vault) and not vault.is_locked
    assert (state.vault_path / "vault.header").exists() and vault.db_path.exists()
    vault.lock()
    Vault(state.vault_path).unlock(recovery_key=key)  # the key shown is the one that opens it


def test_a_failed_creation_is_explained_in_words_not_a_traceback(qtbot, wizard: FirstRunWizard, state: AppState) -> None:  # noqa: ANN001
    Vault.create(state.vault_path, "an older vault already here", kdf=keys.KdfParams()).vault.lock()
    type_passphrases(qtbot, wizard, STRONG, STRONG)
    qtbot.mouseClick(next_button(wizard), Qt.MouseButton.LeftButton)
    status = wizard.creating_page.status
    qtbot.waitUntil(lambda: "already a vault" in status.text(), timeout=20_000)
    assert "Traceback" not in status.text() and wizard.currentPage() is wizard.creating_page
    assert not next_button(wizard).isEnabled()


def test_every_input_and_button_on_the_pages_has_an_accessible_name(wizard: FirstRunWizard) -> None:
    for page in (wizard.passphrase_page, wizard.creating_page, wizard.recovery_page, wizard.check_page):
        for widget in page.findChildren(QLineEdit) + page.findChildren(QAbstractButton):
            assert widget.accessibleName(), f"{type(widget).__name__} on {page.title()!r}"


def test_qwizards_own_buttons_have_accessible_names(wizard: FirstRunWizard) -> None:
    buttons = {
        QWizard.WizardButton.BackButton: "Back",
        QWizard.WizardButton.NextButton: "Next",
        QWizard.WizardButton.CommitButton: "Create",
        QWizard.WizardButton.FinishButton: "Finish",
        QWizard.WizardButton.CancelButton: "Cancel",
    }
    for which, first_word in buttons.items():
        assert wizard.button(which).accessibleName().startswith(first_word), which
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert commit.text() == "Create vault" and commit.isVisible()  # the passphrase page commits


def test_the_commit_buttons_name_follows_its_text_on_the_creating_page(qtbot, wizard: FirstRunWizard) -> None:  # noqa: ANN001
    type_passphrases(qtbot, wizard, STRONG, STRONG)
    qtbot.keyClick(wizard.passphrase_page.second, Qt.Key.Key_Return)
    commit = wizard.button(QWizard.WizardButton.CommitButton)
    assert wizard.currentPage() is wizard.creating_page
    assert (commit.text(), commit.accessibleName()) == ("Next", "Next step")
    wait_for_recovery_key(qtbot, wizard)


def test_a_failed_creation_can_be_retried_with_the_passphrase_kept(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the vault's folder should go")
    state = AppState(vault_path=blocker / "vault")
    wizard = FirstRunWizard(state)
    qtbot.addWidget(wizard)
    wizard.show()
    try:
        type_passphrases(qtbot, wizard, STRONG, STRONG)
        qtbot.keyClick(wizard.passphrase_page.second, Qt.Key.Key_Return)
        page = wizard.creating_page
        qtbot.waitUntil(lambda: page.retry.isVisible(), timeout=20_000)
        assert "could not be created" in page.status.text() and "Traceback" not in page.status.text()
        assert not page.busy.isVisible()  # nothing to wait for
        assert not next_button(wizard).isEnabled() and not wizard.button(QWizard.WizardButton.BackButton).isEnabled()
        assert wizard.passphrase_page.first.text() == STRONG  # kept for the retry, never retyped

        blocker.unlink()  # the inspector frees the place (here: the file in the way goes)
        qtbot.mouseClick(page.retry, Qt.MouseButton.LeftButton)
        key = wait_for_recovery_key(qtbot, wizard)
        assert page.retry.isHidden() and not page.busy.isHidden() and wizard.passphrase_page.first.text() == ""
        assert wizard.result_vault is not None and not wizard.result_vault.vault.is_locked
        wizard.result_vault.vault.lock()
        Vault(state.vault_path).unlock(passphrase=STRONG)
        Vault(state.vault_path).unlock(recovery_key=key)
    finally:
        state.tasks.shutdown()


def test_cancelling_after_the_vault_is_made_locks_it_and_it_still_opens(qtbot, wizard: FirstRunWizard, state: AppState) -> None:  # noqa: ANN001
    type_passphrases(qtbot, wizard, STRONG, STRONG)
    qtbot.keyClick(wizard.passphrase_page.second, Qt.Key.Key_Return)
    key = wait_for_recovery_key(qtbot, wizard)
    vault = wizard.result_vault.vault
    with qtbot.waitSignal(wizard.abandoned, timeout=5_000) as abandoned:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.CancelButton), Qt.MouseButton.LeftButton)
    assert abandoned.args[0] is vault and not wizard.isVisible()
    qtbot.waitUntil(lambda: vault.is_locked, timeout=5_000)  # the keys left memory on the worker
    assert wizard.recovery_page.key.text() == "" and wizard.result_vault is None
    assert state.has_vault  # kept: it is a whole vault, and the next start shows unlock
    Vault(state.vault_path).unlock(passphrase=STRONG)
    Vault(state.vault_path).unlock(recovery_key=key)


def test_cancelling_while_the_vault_is_being_made_locks_it_when_it_arrives(qtbot, wizard: FirstRunWizard, state: AppState) -> None:  # noqa: ANN001
    type_passphrases(qtbot, wizard, STRONG, STRONG)
    with qtbot.waitSignal(wizard.abandoned, timeout=20_000) as abandoned:
        qtbot.keyClick(wizard.passphrase_page.second, Qt.Key.Key_Return)
        assert wizard.currentPage() is wizard.creating_page
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)  # while the key is being derived
        assert not wizard.isVisible() and wizard.result_vault is None
    vault = abandoned.args[0]
    qtbot.waitUntil(lambda: vault.is_locked, timeout=5_000)
    assert state.has_vault and wizard.passphrase_page.first.text() == ""


def _to_the_check_page(qtbot, wizard: FirstRunWizard) -> list[str]:  # noqa: ANN001
    """Create the vault and tick "stored"; the key's groups, for typing them back."""
    type_passphrases(qtbot, wizard, STRONG, STRONG)
    qtbot.keyClick(wizard.passphrase_page.second, Qt.Key.Key_Return)
    groups = wait_for_recovery_key(qtbot, wizard).split("-")
    # A group holding a 0 or a 1 when there is one, so its look-alikes are tried.
    wizard.check_page.check_group_index = next((i for i, g in enumerate(groups, 1) if i > 1 and set(g) & {"0", "1"}), 2)
    qtbot.keyClick(wizard.recovery_page.kept, Qt.Key.Key_Space)
    qtbot.mouseClick(next_button(wizard), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.check_page
    return groups


def _as_a_person_might_copy_it(group: str) -> tuple[str, str]:
    """O for 0, l and I for 1, lower case and spaces, in two halves (a dash goes between)."""
    look_alikes = iter(("l", "I") * 4)
    chars = ["o" if ch == "0" else next(look_alikes) if ch == "1" else ch.lower() for ch in group]
    return f" {''.join(chars[:2])} ", f"{''.join(chars[2:])} "


def test_the_recovery_check_reads_look_alikes_case_spaces_and_dashes_as_the_key_means(qtbot, wizard: FirstRunWizard) -> None:  # noqa: ANN001
    assert keys.recovery_characters(" o1l-I ab\u2013cd ") == "0111ABCD"
    groups = _to_the_check_page(qtbot, wizard)
    check = wizard.check_page
    first, second = _as_a_person_might_copy_it(groups[check.check_group_index - 1])
    qtbot.keyClicks(check.answer, first)
    check.answer.insert("\u2013")  # a dash as a word processor makes it, pasted (QTest types ASCII only)
    qtbot.keyClicks(check.answer, second)
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled(), check.answer.text()
    assert check.verdict.text() == ""
    with qtbot.waitSignal(wizard.created, timeout=5_000) as created:
        qtbot.keyClick(check.answer, Qt.Key.Key_Return)
    created.args[0].lock()


def test_a_recovery_group_that_does_not_match_is_said_beside_the_field_and_cleared_once_fixed(qtbot, wizard: FirstRunWizard) -> None:  # noqa: ANN001
    groups = _to_the_check_page(qtbot, wizard)
    check = wizard.check_page
    right = groups[check.check_group_index - 1]
    wrong = groups[check.check_group_index - 2] if groups[check.check_group_index - 2] != right else "ZZZZ"
    finish = wizard.button(QWizard.WizardButton.FinishButton)

    qtbot.keyClicks(check.answer, right[:2])
    assert check.verdict.text() == ""  # half typed is not wrong yet
    qtbot.keyClick(check.answer, Qt.Key.Key_Return)
    assert "too short" in check.verdict.text() and check.verdict.isVisible()
    check.answer.clear()
    qtbot.keyClicks(check.answer, wrong)
    assert not finish.isEnabled()
    assert check.verdict.text().startswith(f"“{wrong}” is not group {check.check_group_index} of your recovery key")
    assert "go Back to see the key again" in check.verdict.text()
    qtbot.keyClick(check.answer, Qt.Key.Key_Return)
    assert wizard.isVisible() and wizard.currentPage() is check  # Enter does not finish on a wrong group

    check.answer.clear()
    qtbot.keyClicks(check.answer, right)
    assert finish.isEnabled() and check.verdict.text() == ""
    wizard.reject()
