"""Verifying a published report file against a vault: the seal it carries (fieldapp.report.seal),
checked by vault.published.check, and for an HTML file its whole text compared with the published
report rendered again, so an edited word is caught as surely as an edited manifest."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from fieldapp.dates import show_when
from fieldapp.errors import ValidationError
from fieldapp.published_reports import Check, PublishedReports
from fieldapp.report.html import render_html
from fieldapp.report.model import Report, Seal
from fieldapp.report.seal import read_seal


@dataclass(frozen=True)
class Verdict:
    seal: Seal
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()  # said, neither passed nor failed (a Word or PDF file's text is not compared)

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(c.holds for c in self.checks)

    @property
    def failures(self) -> tuple[str, ...]:
        return tuple(c.words for c in self.checks if not c.holds)

    def summary(self, file_name: str) -> str:
        """The verdict in one line, as the command and the app say it: "Verified: …" or "NOT verified: …"."""
        if not self.verified:
            return f"NOT verified: {' '.join(self.failures)}"
        seal = self.seal
        said = (f"Verified: {file_name} is published report {seal.report_id[:12]}… of {show_when(seal.published_on)}, and each of the "
                f"{len(seal.manifest)} signed revisions it stands on is in this vault, unchanged.")  # fmt: skip
        if self.notes:  # a Word or PDF file: its seal holds, but what it shows was not read (an HTML export is)
            said += " Only its seal was checked, not the text it shows: verify the HTML export to compare that word for word."
        return said


def verify_file(published: PublishedReports, path: Path) -> Verdict:
    """Every check of a report file against this vault (ValidationError in words when the file carries
    no readable seal: a draft, a working copy, or not a report)."""
    seal = read_seal(path)
    checks = published.check(seal)
    if not all(c.holds for c in checks):
        return Verdict(seal, checks)
    kind = _kind_of(path)
    if kind != "HTML":
        note = f"The file is a {kind} file: its text was not compared with the published report, only its seal was checked."
        return Verdict(seal, checks, (note,))
    return Verdict(seal, (*checks, _same_text(published.report(seal.report_id), path)))


def _kind_of(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return "Word (.docx)" if head.startswith(b"PK") else "PDF" if head.startswith(b"%PDF") else "HTML"


def _same_text(report: Report, path: Path) -> Check:
    expected = render_html(report)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return Check(False, "The file's text is not the published report's: it is not even UTF-8 text.")
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if text == expected:
        return Check(True, "The file's text is exactly the published report's, word for word.")
    ours, theirs = expected.splitlines(), text.splitlines()
    at = next((n for n, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    published_line, file_line = (ours[at] if at < len(ours) else ""), (theirs[at] if at < len(theirs) else "")
    # Where and what, as a reader finds it (the paragraph's number, its words), not a line of HTML source.
    number = re.search(r'id="p(\d+)"', published_line)
    where = f"paragraph {number.group(1)}" if number else "one place"
    said, now = _words(published_line), _words(file_line)
    what = f': the report says "{said}", the file says "{now}"' if said and now and said != now else ""
    return Check(False, f"The file's text differs from the published report's at {where}{what}. It was changed after it was exported.")


def _words(line: str, limit: int = 90) -> str:
    """A line of the report's HTML as its reader sees it: tags gone, entities read, cut short."""
    words = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", line)).split())
    words = re.sub(r"^\d+\. ", "", words)  # the paragraph's number is said already
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


__all__ = ["Verdict", "verify_file"]
