"""The screenshot script renders the real windows, with real text in them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from ui import screenshots


def _looks_like_a_window_with_text(path: Path) -> bool:
    image = QImage(str(path))
    if image.isNull() or image.width() < 400:
        return False
    # Every second pixel of every second row, as QImage.pixel() gives it (0xAARRGGBB), counted by
    # colour in C rather than read one call at a time: the same counts, a fraction of the time.
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    width, stride = image.width(), image.bytesPerLine()
    bits = memoryview(image.constBits()).cast("B")
    counts: Counter[int] = Counter()
    for y in range(0, image.height(), 2):
        counts.update(bits[y * stride : y * stride + width * 4].cast("I")[::2])
    seen = sum(counts.values())
    dark = sum(n for pixel, n in counts.items() if ((pixel >> 16) & 255) + ((pixel >> 8) & 255) + (pixel & 255) < 200)
    # Anti-aliased glyphs give many shades; boxes for missing fonts or a blank window do not.
    return len(counts) > 20 and dark > seen * 0.002


def test_the_script_writes_a_screenshot_of_the_main_window_with_each_editor(qapp, tmp_path: Path) -> None:  # noqa: ANN001
    palette = qapp.palette()
    screenshots.main([str(tmp_path)])
    assert qapp.palette() == palette  # the dark shot does not leave the app dark
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == [
        "concern-raise.png", "concerns.png", "coverage-dark.png", "coverage.png", "first-run.png", "judgements-dark.png", "judgements.png", "main-case-tracking.png",
        "main-dark.png", "main-date-to-check.png", "main-document.png", "main-filtered-by-place.png", "main-focus-group.png",
        "main-interview-context.png", "main-interview-prompts.png", "main-interview.png", "main-observation.png", "places.png",
        "rating-history.png", "report-accuracy.png", "report-draft.png", "report-quotations.png", "report-response.png", "report.png",
        "security-log.png", "unlock-after-a-crash.png", "unlock.png",
    ]  # fmt: skip
    for path in tmp_path.glob("*.png"):
        assert _looks_like_a_window_with_text(path), path.name
        if path.name.startswith(("main", "coverage", "judgements", "concern")):
            assert QImage(str(path)).size().toTuple() == (1366, 768), path.name  # a small laptop's screen
    assert _mean_lightness(tmp_path / "main-dark.png") < 90 < 180 < _mean_lightness(tmp_path / "main-case-tracking.png")
    for view in ("coverage", "judgements"):
        assert _mean_lightness(tmp_path / f"{view}-dark.png") < 90 < 150 < _mean_lightness(tmp_path / f"{view}.png")


def _mean_lightness(path: Path) -> float:
    image = QImage(str(path))
    values = [QColor(image.pixel(x, y)).lightness() for y in range(0, image.height(), 5) for x in range(0, image.width(), 5)]
    return sum(values) / len(values)


def test_the_pixel_check_rejects_a_blank_window(qapp, tmp_path: Path) -> None:  # noqa: ANN001
    blank = QImage(800, 600, QImage.Format.Format_RGB32)
    blank.fill(0xEFEFEF)
    blank.save(str(tmp_path / "blank.png"))
    assert not _looks_like_a_window_with_text(tmp_path / "blank.png")
