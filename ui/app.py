"""The desktop app's entry point.

The PySide6 windows are the next piece of work (see the issue "The desktop app"); until they
land, this says so plainly rather than pretending, and points at what works today.
"""

from __future__ import annotations

import sys

MESSAGE = """\
fieldapp: the desktop app's windows are being built and are not in this version yet.

What works today is the encrypted evidence vault underneath it (fieldapp/):
create and unlock a vault, record observations, interviews, case tracking and focus
groups, tag them to quality statements, attach files, search, check coverage and
verify every signed revision. See README.md, "Using the vault from Python".
"""


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(MESSAGE)
    return 0
