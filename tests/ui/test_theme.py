"""Light and dark palettes: switching changes what is painted, and text stays readable (WCAG 4.5:1)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QStyle, QStyleOptionButton, QTextEdit, QWidget

from fieldapp import domain
from fieldapp.search import Query
from fieldapp.vault import Vault

from ui import theme
from ui.coverage_view import CoverageView
from ui.first_run import FirstRunWizard
from ui.main_window import MainWindow
from ui.record_list import RecordListModel
from ui.state import AppState

Role, Group = QPalette.ColorRole, QPalette.ColorGroup
# Text roles and the backgrounds they are drawn on.
PAIRS = [
    (Role.WindowText, Role.Window),
    (Role.Text, Role.Base),
    (Role.Text, Role.AlternateBase),
    (Role.ButtonText, Role.Button),
    (Role.HighlightedText, Role.Highlight),
    (Role.ToolTipText, Role.ToolTipBase),
    (Role.PlaceholderText, Role.Base),
    (Role.Link, Role.Base),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The test app, with its style and palette put back afterwards for the other tests."""
    style, palette = qapp.style().name(), qapp.palette()
    yield qapp
    if qapp.style().name() != style:
        qapp.setStyle(style)
    qapp.setPalette(palette)


def test_switching_theme_repaints_the_app_and_its_open_windows(qtbot, app: QApplication, tmp_path: Path) -> None:  # noqa: ANN001
    window = MainWindow(AppState(vault_path=tmp_path / "vault"))
    qtbot.addWidget(window)
    window.show()
    light = theme.apply(app, "light")
    assert isinstance(app.style(), theme.Style) and app.style().baseStyle().name().lower() == "fusion" and light is theme.LIGHT
    # Open windows take the new palette from an event, on the next turn of the event loop.
    qtbot.waitUntil(lambda: window.palette().color(Role.Window) == QColor(theme.LIGHT.window))
    before = window.grab().toImage()

    assert theme.apply(app, "dark") is theme.DARK
    assert app.palette().color(Role.Base) == QColor(theme.DARK.base)
    qtbot.waitUntil(lambda: window.palette().color(Role.Window) == QColor(theme.DARK.window))
    assert window.table.palette().color(Role.Text) == QColor(theme.DARK.text)
    assert theme.colors() is theme.DARK
    after = window.grab().toImage()
    assert _mean_lightness(after) < 80 < 180 < _mean_lightness(before)  # pixels, not just settings
    window.close()
    window._state.tasks.shutdown()


@pytest.mark.parametrize("name", ["light", "dark"])
def test_text_on_its_background_has_at_least_4_5_to_1_contrast(app: QApplication, name: str) -> None:  # noqa: ANN001
    theme.apply(app, name)
    palette = app.palette()
    for text, background in PAIRS:
        ratio = theme.contrast(palette.color(Group.Active, text), palette.color(Group.Active, background))
        assert ratio >= 4.5, f"{name}: {text.name} on {background.name} is {ratio:.2f}:1"
    ours = theme.THEMES[name]
    for colour, on in ((ours.flag, ours.base), (ours.flag, ours.alternate_base), (ours.text, ours.gap), (ours.text, ours.heading_row),
                       (ours.text, ours.passage), (ours.text, ours.changed), (ours.flag, ours.gap)):  # flag on gap: coverage's "needed"
        assert theme.contrast(colour, on) >= 4.5, f"{name}: {colour} on {on}"


def test_disabled_text_is_dimmer_but_still_distinct_from_its_background(app: QApplication) -> None:  # noqa: ANN001
    for name in ("light", "dark"):
        theme.apply(app, name)
        palette = app.palette()
        disabled = palette.color(Group.Disabled, Role.ButtonText)
        enabled = palette.color(Group.Active, Role.ButtonText)
        button = palette.color(Group.Active, Role.Button)
        assert theme.contrast(disabled, button) < theme.contrast(enabled, button)
        assert theme.contrast(disabled, button) >= 2.0, name


def test_coverage_gaps_and_flagged_records_take_their_colours_from_the_theme(
    qtbot, app: QApplication, vault: Vault, assessment_id: str  # noqa: ANN001
) -> None:
    vault.records.create(assessment_id, domain.Interview(pseudonym="P1"))  # no consent: flagged
    view = CoverageView()
    qtbot.addWidget(view)
    theme.apply(app, "light")
    view.show_coverage(vault.coverage(assessment_id))
    gap_cell = view.grid.item(1, 0)  # the first statement has no evidence
    assert gap_cell.background().color() == QColor(theme.LIGHT.gap)
    theme.apply(app, "dark")  # the open view recolours itself
    qtbot.waitUntil(lambda: view.grid.item(1, 0).background().color() == QColor(theme.DARK.gap))
    assert view.grid.item(0, 0).background().color() == QColor(theme.DARK.heading_row)

    model = RecordListModel()
    model.set_rows(vault.search(Query()).items)
    assert model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole).color() == QColor(theme.DARK.flag)
    theme.apply(app, "light")
    assert model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole).color() == QColor(theme.LIGHT.flag)


def test_system_follows_the_desktops_scheme_and_says_light_when_it_does_not_know(app: QApplication) -> None:  # noqa: ANN001
    # Offscreen Qt has no desktop to ask: its scheme is Unknown, which must read as light.
    assert app.styleHints().colorScheme() in (Qt.ColorScheme.Unknown, Qt.ColorScheme.Light)
    assert theme.apply(app, "system") is theme.LIGHT
    with pytest.raises(ValueError, match="one of system, light, dark"):
        theme.resolve("sepia")


def test_the_command_line_takes_a_theme_and_refuses_others() -> None:
    run = [sys.executable, "-m", "ui"]
    helped = subprocess.run([*run, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "--theme {system,light,dark}" in helped.stdout
    refused = subprocess.run([*run, "--theme", "sepia"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "invalid choice: 'sepia'" in refused.stderr


@pytest.mark.parametrize("name", ["light", "dark"])
def test_an_unticked_check_box_has_an_edge_of_at_least_3_to_1_on_the_window_and_inside(qtbot, app: QApplication, name: str) -> None:  # noqa: ANN001
    ours = theme.apply(app, name)
    for background in (ours.window, ours.base, ours.alternate_base, ours.button):
        assert theme.contrast(ours.edge, background) >= 3.0, f"{name}: edge {ours.edge} on {background}"
    box = QCheckBox("I have stored this recovery key somewhere safe")
    qtbot.addWidget(box)
    box.show()
    qtbot.waitUntil(lambda: box.palette().color(Role.Window) == QColor(ours.window))
    image = box.grab().toImage()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    # Pixels, as painted: the indicator's left edge against the window beside it and the box's inside.
    edge = max((image.pixelColor(indicator.left() + dx, indicator.center().y()) for dx in range(3)),
               key=lambda c: theme.contrast(c, ours.window))  # fmt: skip
    inside = image.pixelColor(indicator.center())
    assert theme.contrast(edge, ours.window) >= 3.0, f"{name}: {edge.name()} on {ours.window}"
    assert theme.contrast(edge, inside) >= 3.0, f"{name}: {edge.name()} round {inside.name()}"


@pytest.mark.parametrize("name", ["light", "dark"])
@pytest.mark.parametrize("kind", [QLineEdit, QTextEdit])
def test_a_field_to_type_in_has_an_edge_of_at_least_3_to_1_on_the_window(qtbot, app: QApplication, name: str, kind: type) -> None:  # noqa: ANN001
    ours = theme.apply(app, name)
    host = QWidget()
    qtbot.addWidget(host)
    field = kind(host)
    field.setGeometry(10, 10, 200, 60)
    host.resize(220, 80)
    host.show()
    qtbot.waitUntil(lambda: host.palette().color(Role.Window) == QColor(ours.window))
    image = host.grab().toImage()
    # Pixels, as painted: the field's left edge, against the window beside it and the field's inside.
    row = field.geometry().center().y()
    edge = max((image.pixelColor(field.geometry().left() + dx, row) for dx in range(3)), key=lambda c: theme.contrast(c, ours.window))
    assert theme.contrast(edge, ours.window) >= 3.0, f"{name}: {edge.name()} on {ours.window}"
    assert theme.contrast(edge, image.pixelColor(field.geometry().center())) >= 3.0, f"{name}: {edge.name()} round the inside"


@pytest.mark.parametrize(("first", "then"), [("light", "dark"), ("dark", "light")])
def test_the_sync_status_icon_is_redrawn_readable_when_the_theme_changes(qtbot, app: QApplication, tmp_path: Path, first: str, then: str) -> None:  # noqa: ANN001
    theme.apply(app, first)
    window = MainWindow(AppState(vault_path=tmp_path / "vault"))
    qtbot.addWidget(window)
    window.show()
    ours = theme.apply(app, then)
    qtbot.waitUntil(lambda: window.palette().color(Role.Window) == QColor(ours.window))
    image = window.sync_status.icon.grab().toImage()
    behind = window.sync_status.icon.palette().color(Role.Window)
    best = max(theme.contrast(image.pixelColor(x, y), behind) for x in range(image.width()) for y in range(image.height()))
    assert best >= 3.0, f"{first} then {then}: the icon's strongest pixel is {best:.2f}:1"
    window.close()
    window._state.tasks.shutdown()


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_strength_meter_says_none_yet_before_typing_and_its_track_shows(qtbot, app: QApplication, tmp_path: Path, name: str) -> None:  # noqa: ANN001
    ours = theme.apply(app, name)
    wizard = FirstRunWizard(AppState(vault_path=tmp_path / "vault"))
    qtbot.addWidget(wizard)
    wizard.show()
    meter = wizard.passphrase_page.meter
    qtbot.waitUntil(lambda: meter.palette().color(Role.Window) == QColor(ours.window))
    assert meter.isTextVisible() and meter.text() == "Strength: none yet" and meter.value() == 0
    image = meter.grab().toImage()
    middle = image.height() // 2
    edge = max((image.pixelColor(x, middle) for x in range(3)), key=lambda c: theme.contrast(c, ours.window))
    assert theme.contrast(edge, ours.window) >= 3.0, f"{name}: the track's edge {edge.name()} on {ours.window}"
    assert _colours_in(image, middle) > 2  # words painted in the bar, not an empty box

    qtbot.keyClicks(wizard.passphrase_page.first, "violet ferry lamp")
    assert meter.text() == "Strength: fair" and meter.accessibleDescription() == "Strength: fair"
    wizard.passphrase_page.first.clear()
    assert meter.text() == "Strength: none yet"
    wizard.close()


def _colours_in(image, y: int) -> int:  # noqa: ANN001
    """How many different colours one row of pixels holds, edges aside."""
    return len({image.pixel(x, y) for x in range(4, image.width() - 4)} | {image.pixel(x, y + 2) for x in range(4, image.width() - 4)})


def _mean_lightness(image) -> float:  # noqa: ANN001
    total = count = 0
    for y in range(0, image.height(), 7):
        for x in range(0, image.width(), 7):
            total += QColor(image.pixel(x, y)).lightness()
            count += 1
    return total / count
