"""Light and dark palettes, and the few colours our own widgets paint (coverage gaps, flags).

The app uses the Fusion style with an explicit QPalette for each scheme, so it looks the same on
every platform; "system" follows the desktop's colour scheme (Qt 6.5+) and changes with it. Our
widgets ask `colors()` for their colours at paint time, so a switch repaints them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QRectF
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QProxyStyle, QStyle, QStyleFactory, QStyleOption, QTextEdit, QWidget

# PySide builds all ~100 enums of the Qt namespace the first time any is touched (~25 ms), so
# this module, loaded before the unlock window paints, touches them only when it must.

CHOICES = ("system", "light", "dark")
Role = QPalette.ColorRole
Group = QPalette.ColorGroup


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    window_text: str
    base: str
    alternate_base: str
    text: str
    button: str
    button_text: str
    highlight: str
    highlighted_text: str
    link: str
    placeholder: str
    tooltip_base: str
    tooltip_text: str
    disabled_text: str
    light: str  # Fusion draws bevels and frames from these four
    mid: str
    dark: str
    shadow: str
    # Our own widgets' colours; text on each keeps 4.5:1 (tests/ui/test_theme.py checks).
    gap: str  # an empty coverage cell: no evidence yet
    heading_row: str  # a theme's row in the coverage grid
    flag: str  # text of a flagged record (consent not recorded)
    passage: str  # behind a tagged passage in the notes
    changed: str  # behind words that differ between two versions (the conflicts view)
    # The edge of a check box and of a meter's track: 3:1 on window and field (WCAG's floor for
    # controls). Fusion draws them in a darkened window colour, which nobody could see.
    edge: str


LIGHT = Theme(
    name="light",
    window="#f0f1f3", window_text="#1b1c1e", base="#ffffff", alternate_base="#f4f6f9", text="#1b1c1e",
    button="#e6e8eb", button_text="#1b1c1e", highlight="#1f5fa8", highlighted_text="#ffffff",
    link="#1a56a0", placeholder="#5c6166", tooltip_base="#fffbe6", tooltip_text="#1b1c1e",
    disabled_text="#8b9096", light="#ffffff", mid="#b9bdc2", dark="#8e9399", shadow="#5f6368",
    gap="#fbe1dc", heading_row="#dfe7f3", flag="#9a4300", passage="#fff0b3", changed="#ffe58a",
    edge="#6f747a",
)  # fmt: skip
DARK = Theme(
    name="dark",
    # Fields lighter than the window: Fusion outlines boxes in a darkened window colour, which
    # vanishes against a field darker than the window (checkboxes disappeared).
    window="#202124", window_text="#e6e7e9", base="#2c2d31", alternate_base="#323338", text="#e6e7e9",
    button="#35373c", button_text="#e6e7e9", highlight="#2f6bc4", highlighted_text="#ffffff",
    link="#8ab4f8", placeholder="#a3a8ae", tooltip_base="#35373c", tooltip_text="#e6e7e9",
    disabled_text="#787d84", light="#4a4d53", mid="#26272b", dark="#151618", shadow="#000000",
    gap="#552a24", heading_row="#283a52", flag="#f4b06a", passage="#4d4221", changed="#6b5300",
    edge="#868a90",
)  # fmt: skip
THEMES = {"light": LIGHT, "dark": DARK}


def palette(theme: Theme) -> QPalette:
    """The QPalette for a theme: every role set, disabled text dimmed."""
    p = QPalette()
    roles = {
        Role.Window: theme.window, Role.WindowText: theme.window_text, Role.Base: theme.base,
        Role.AlternateBase: theme.alternate_base, Role.Text: theme.text, Role.Button: theme.button,
        Role.ButtonText: theme.button_text, Role.Highlight: theme.highlight,
        Role.HighlightedText: theme.highlighted_text, Role.Link: theme.link, Role.LinkVisited: theme.link,
        Role.PlaceholderText: theme.placeholder, Role.ToolTipBase: theme.tooltip_base,
        Role.ToolTipText: theme.tooltip_text, Role.BrightText: "#ffffff", Role.Light: theme.light,
        Role.Midlight: theme.button, Role.Mid: theme.mid, Role.Dark: theme.dark, Role.Shadow: theme.shadow,
    }  # fmt: skip
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (Role.WindowText, Role.Text, Role.ButtonText, Role.PlaceholderText):
        p.setColor(Group.Disabled, role, QColor(theme.disabled_text))
    p.setColor(Group.Disabled, Role.Highlight, QColor(theme.mid))
    return p


def system_scheme() -> str:
    """'dark' or 'light' as the desktop says; light when it does not say (or Qt is older than 6.5)."""
    hints = QGuiApplication.styleHints()
    if not hasattr(hints, "colorScheme"):
        return "light"
    from PySide6.QtCore import Qt

    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def resolve(choice: str) -> Theme:
    if choice not in CHOICES:
        raise ValueError(f"theme must be one of {', '.join(CHOICES)}, not {choice!r}")
    return THEMES[system_scheme() if choice == "system" else choice]


class _Follower(QObject):
    """Re-applies the palette when the desktop's scheme changes, if the choice is 'system'."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.choice = "system"
        hints = app.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self.on_style_hints_color_scheme_changed)

    def on_style_hints_color_scheme_changed(self, _scheme: object) -> None:
        if self.choice == "system":
            app = QApplication.instance()
            if isinstance(app, QApplication):
                app.setPalette(palette(resolve("system")))


class Style(QProxyStyle):
    """Fusion, with a visible edge round check boxes, progress bars and the fields one types in (the
    theme's `edge`): Fusion's own, a darkened window colour, measured 1.1:1 on the dark theme and
    1.7:1 on the light one, left fields hard to tell from the window they stand on."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter, widget: QWidget | None = None) -> None:  # noqa: N802 - Qt override
        super().drawPrimitive(element, option, painter, widget)
        keyboard_focus = QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_KeyboardFocusChange
        unfocused = (option.state & keyboard_focus) != keyboard_focus  # the focus ring, when Tab put it there, stays Fusion's
        if element == QStyle.PrimitiveElement.PE_IndicatorCheckBox and unfocused:
            _edge(painter, option, radius=0)
        elif element == QStyle.PrimitiveElement.PE_FrameLineEdit and unfocused and not option.state & QStyle.StateFlag.State_HasFocus:
            _edge(painter, option, radius=2)

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption, painter: QPainter, widget: QWidget | None = None) -> None:  # noqa: N802 - Qt override
        super().drawControl(element, option, painter, widget)
        if element == QStyle.ControlElement.CE_ProgressBarGroove:
            _edge(painter, option, radius=2)
        elif element == QStyle.ControlElement.CE_ShapedFrame and isinstance(widget, (QTextEdit, QPlainTextEdit)) and not widget.hasFocus():
            _edge(painter, option, radius=0)  # the notes and summaries: as visible as a one-line field


def _edge(painter: QPainter, option: QStyleOption, *, radius: float) -> None:
    """A one-pixel line just inside option's rectangle, over the one Fusion drew."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, radius > 0)
    painter.setPen(QPen(QColor(colors().edge), 1))
    painter.setBrush(QColor(0, 0, 0, 0))
    box = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
    if radius:
        painter.drawRoundedRect(box, radius, radius)
    else:
        painter.drawRect(box)
    painter.restore()


def apply(app: QApplication, choice: str = "system") -> Theme:
    """Fusion (with visible edges, `Style`) and the chosen scheme's palette ('system' follows the
    desktop); returns the theme."""
    theme = resolve(choice)
    if not isinstance(app.style(), Style):
        app.setStyle(Style())
    follower = app.findChild(_Follower) or _Follower(app)
    follower.choice = choice
    app.setPalette(palette(theme))
    return theme


def colors() -> Theme:
    """The theme matching the palette in use now (our widgets call this when they paint)."""
    window = QGuiApplication.palette().color(Role.Window)
    return DARK if window.lightness() < 128 else LIGHT


def contrast(a: QColor | str, b: QColor | str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (none) to 21 (black on white)."""

    def luminance(colour: QColor | str) -> float:
        c = QColor(colour)
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        r, g, b = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
