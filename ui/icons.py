"""Our icons, by name: SVGs from resources/icons, drawn at whatever size and pixel ratio asked.

The line icons use `currentColor`, which is filled in from the palette when an icon is drawn, so
they follow the light or dark theme and grey out when their button is disabled. Being vectors,
they stay crisp on a high-DPI screen.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap

# Beside fieldapp's framework data, found the same way (resources/ sits next to the packages).
ICONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
KIND_ICONS = {"observation": "observation", "interview": "interview", "case_tracking": "case-tracking", "focus_group": "focus-group", "document": "document"}
_CACHE_LIMIT = 512


@lru_cache(maxsize=None)
def svg_source(name: str) -> bytes:
    """The SVG text of an icon; a missing name is a bug, so it raises FileNotFoundError."""
    return (ICONS_DIR / f"{name}.svg").read_bytes()


def names() -> list[str]:
    return sorted(p.stem for p in ICONS_DIR.glob("*.svg"))


def icon(name: str) -> QIcon:
    """The named icon, tinted from the palette each time it is drawn."""
    return QIcon(_SvgEngine(name))


def render(name: str, size: QSize, colour: QColor | None = None) -> QImage:
    """The icon drawn into an image of exactly size device pixels (tests compare these)."""
    source = svg_source(name)
    if size.isEmpty():
        return QImage()  # Qt asks for 0×0 now and then; a painter on it would complain
    if colour is not None:
        # Qt's SVG reader takes #rrggbb only; a translucent colour becomes the painter's opacity.
        source = source.replace(b"currentColor", colour.name(QColor.NameFormat.HexRgb).encode())
    from PySide6.QtSvg import QSvgRenderer  # loaded at the first icon drawn, not before the first paint

    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)  # transparent
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if colour is not None:
        painter.setOpacity(colour.alphaF())
    QSvgRenderer(QByteArray(source)).render(painter, QRectF(image.rect()))
    painter.end()
    return image


def tint(mode: QIcon.Mode) -> QColor:
    """The colour a line icon takes in this mode, from the application palette in use now."""
    palette = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    if mode == QIcon.Mode.Selected:
        return palette.color(QPalette.ColorRole.HighlightedText)
    return palette.color(QPalette.ColorRole.ButtonText)


class _SvgEngine(QIconEngine):
    """Draws one SVG at the size and device pixel ratio Qt asks for; caches the pixmaps."""

    _pixmaps: dict[tuple[str, int, int, int, str], QPixmap] = {}

    def __init__(self, name: str) -> None:
        super().__init__()
        svg_source(name)  # fail now, where the name is written, not at first paint
        self._name = name

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:  # noqa: N802 - Qt override
        colour = tint(mode)
        device = QSize(round(size.width() * scale), round(size.height() * scale))
        if device.isEmpty():
            return QPixmap()
        key = (self._name, device.width(), device.height(), int(mode.value), colour.name(QColor.NameFormat.HexArgb))
        cached = self._pixmaps.get(key)
        if cached is None:
            if len(self._pixmaps) > _CACHE_LIMIT:
                self._pixmaps.clear()
            cached = self._pixmaps[key] = QPixmap.fromImage(render(self._name, device, colour))
        pixmap = QPixmap(cached)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802 - Qt override
        side = min(size.width(), size.height())  # our icons are square
        return QSize(side, side)

    def clone(self) -> QIconEngine:
        return _SvgEngine(self._name)

    def key(self) -> str:
        return "fieldapp-svg"

    def iconName(self) -> str:  # noqa: N802 - Qt override
        return self._name
