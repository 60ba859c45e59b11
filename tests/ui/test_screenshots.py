"""The screenshot script renders the real windows, with real text in them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from ui import screenshots


def _looks_like_a_window_with_text(path: Path) -> bool:
    image = QImage(str(path))
    if image.isNull() or image.width() < 800:
        return False
    colours, dark = set(), 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            pixel = image.pixel(x, y)
            colours.add(pixel)
            r, g, b = (pixel >> 16) & 255, (pixel >> 8) & 255, pixel & 255
            dark += r + g + b < 200
    # Anti-aliased glyphs give many shades; boxes for missing fonts or a blank window do not.
    return len(colours) > 40 and dark > 300


def test_the_script_writes_a_screenshot_of_the_main_window_with_each_editor(qapp, tmp_path: Path) -> None:  # noqa: ANN001
    screenshots.main([str(tmp_path)])
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["coverage.png", "main-case-tracking.png", "main-focus-group.png", "main-interview.png", "main-observation.png"]
    for path in tmp_path.glob("*.png"):
        assert _looks_like_a_window_with_text(path), path.name
