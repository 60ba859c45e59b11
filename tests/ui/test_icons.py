"""Our icons: a coherent set of 24×24 line drawings, tinted by the theme, crisp at any pixel ratio."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage
from PySide6.QtWidgets import QApplication

from ui import icons, theme
from ui.main_window import MainWindow
from ui.state import AppState

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "observation", "interview", "case-tracking", "focus-group", "document", "lock", "search", "add", "remove", "attach",
    "export", "history", "coverage", "sync", "sync-error", "sync-offline", "sync-conflict", "app",
}  # fmt: skip
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    style, palette = qapp.style().name(), qapp.palette()
    yield qapp
    if qapp.style().name() != style:
        qapp.setStyle(style)
    qapp.setPalette(palette)


def test_every_icon_the_app_needs_is_there_as_a_24_px_line_drawing() -> None:
    assert REQUIRED <= set(icons.names())
    for name in icons.names():
        root = ET.fromstring(icons.svg_source(name))
        assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 24 24", name
        assert not root.findall(f".//{SVG}image") and not root.findall(f".//{SVG}text"), name  # drawn, not pasted
        if name != "app":  # the app's tile has its own colours; every other icon is a stroke in the text colour
            assert (root.get("stroke"), root.get("fill"), root.get("stroke-width")) == ("currentColor", "none", "2"), name


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_icon_draws_something_inside_its_square(qapp: QApplication, name: str) -> None:  # noqa: ANN001
    image = icons.render(name, QSize(48, 48), QColor("#000000"))
    inked = [(x, y) for y in range(48) for x in range(48) if QColor.fromRgba(image.pixel(x, y)).alpha() > 128]
    assert len(inked) > 60, name  # a real drawing, not an empty or missing file
    assert min(x for x, _ in inked) >= 1 and max(x for x, _ in inked) <= 46, name  # nothing clipped at the edge


def test_line_icons_take_the_palette_colour_and_grey_out_when_disabled(app: QApplication) -> None:  # noqa: ANN001
    lock = icons.icon("lock")
    for name in ("light", "dark"):
        theme.apply(app, name)
        normal = _ink(lock.pixmap(QSize(48, 48), QIcon.Mode.Normal).toImage())
        disabled = _ink(lock.pixmap(QSize(48, 48), QIcon.Mode.Disabled).toImage())
        assert normal == QColor(theme.THEMES[name].button_text).rgb() & 0xFFFFFF, name
        assert disabled == QColor(theme.THEMES[name].disabled_text).rgb() & 0xFFFFFF, name


def test_the_toolbar_actions_and_the_window_carry_our_icons(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    window = MainWindow(AppState(vault_path=tmp_path / "vault"))
    qtbot.addWidget(window)
    assert window.windowIcon().name() == "app"
    actions = [*window.new_actions.values(), window.lock_action]
    assert [a.icon().name() for a in actions] == ["observation", "interview", "case-tracking", "focus-group", "document", "lock"]
    window._state.tasks.shutdown()


def test_a_missing_icon_fails_where_it_is_named() -> None:
    with pytest.raises(FileNotFoundError):
        icons.icon("no-such-icon")


_HIGH_DPI_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtWidgets import QApplication, QToolBar
    from ui import theme
    from ui.main_window import MainWindow
    from ui.state import AppState

    app = QApplication([])
    theme.apply(app, "light")
    window = MainWindow(AppState(vault_path=Path(sys.argv[1]) / "vault"))
    window.resize(1366, 768)
    window.show()
    for _ in range(20):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    button = window.findChild(QToolBar).widgetForAction(window.lock_action)
    shot = button.grab()
    shot.save(sys.argv[2])
    print(json.dumps({"dpr": shot.devicePixelRatio(), "logical": [button.width(), button.height()],
                      "pixels": [shot.width(), shot.height()], "icon": button.iconSize().width()}))
    window._state.tasks.shutdown()
    """
)


def test_toolbar_icons_are_drawn_crisp_at_device_pixel_ratio_2(qapp: QApplication, tmp_path: Path) -> None:  # noqa: ANN001
    """A real window at QT_SCALE_FACTOR=2: the lock button's pixels hold the icon drawn at 48 px from
    the SVG, not a 24 px picture scaled up (which would be soft)."""
    shot = tmp_path / "lock-button@2x.png"
    env = {"QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _HIGH_DPI_CHILD, str(tmp_path), str(shot)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["dpr"] == 2.0 and facts["pixels"] == [2 * facts["logical"][0], 2 * facts["logical"][1]]
    side = 2 * facts["icon"]
    grabbed = QImage(str(shot))
    ink = QColor(theme.LIGHT.button_text)
    crisp = icons.render("lock", QSize(side, side), ink)
    soft = icons.render("lock", QSize(side // 2, side // 2), ink).scaled(
        side, side, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    crisp_error, crisp_at = _best_match(grabbed, crisp)
    soft_error, _ = _best_match(grabbed, soft)
    assert crisp_error < 0.02, f"the icon in the button does not match the SVG drawn at {side} px ({crisp_error:.3f})"
    assert soft_error > max(0.03, 2 * crisp_error), f"as close to a scaled-up icon ({soft_error:.3f}) as to a crisp one ({crisp_error:.3f})"
    assert crisp_at[0] < grabbed.width() // 2  # the icon, left of the button's text


def _ink(image: QImage) -> int:
    """The RGB of the most opaque pixel: the colour the icon was drawn in."""
    best = max((QColor.fromRgba(image.pixel(x, y)) for y in range(image.height()) for x in range(image.width())), key=QColor.alpha)
    return best.rgb() & 0xFFFFFF


def _lightness_rows(image: QImage) -> list[list[float]]:
    return [[QColor(image.pixel(x, y)).lightnessF() for x in range(image.width())] for y in range(image.height())]


def _best_match(shot: QImage, icon_image: QImage) -> tuple[float, tuple[int, int]]:
    """Where the icon (composited on the button's own background) fits the shot best, and how well:
    the mean lightness difference there, 0 for identical pixels."""
    target = _lightness_rows(shot)
    side = icon_image.width()
    alpha = [[QColor.fromRgba(icon_image.pixel(x, y)).alphaF() for x in range(side)] for y in range(side)]
    ink = QColor(theme.LIGHT.button_text).lightnessF()
    best = (9.0, (0, 0))
    middle = (shot.height() - side) // 2
    for top in range(max(0, middle - 3), min(shot.height() - side, middle + 3) + 1):
        for left in range(0, min(shot.width() - side, 48) + 1):
            background = target[top][0]  # the button's background, left of the icon, on this row band
            error = 0.0
            for y in range(side):
                row, alphas = target[top + y], alpha[y]
                for x in range(side):
                    a = alphas[x]
                    error += abs(row[left + x] - (a * ink + (1 - a) * background))
            best = min(best, (error / (side * side), (left, top)))
    return best
