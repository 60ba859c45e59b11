"""The final report's "Factual accuracy check" section: the responses to the shared draft, paragraph by
paragraph, with the team's decisions, and what changed between the draft last shared and the report
now, paragraph by paragraph (matched by their stable keys, fieldapp.report.model.Paragraph.key)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher

from fieldapp.dates import show_when
from fieldapp.item_kinds import DECISIONS, DraftParagraph
from fieldapp.readable import counted
from fieldapp.report.model import Block, Paragraph, Section, Table
from fieldapp.report_texts import DraftRow, ResponseRow
from fieldapp.readable import cell

ADDED, REMOVED = "Added", "Removed"


def fac_section(drafts: Sequence[DraftRow], responses: Sequence[ResponseRow], now: Sequence[Paragraph]) -> Section | None:
    """The section, or None when no draft was shared. Its paragraphs are not numbered: they are about
    the report, not part of what was checked."""
    if not drafts:
        return None
    last = drafts[-1]
    when = show_when(last.shared_on)
    blocks: list[Block] = [Paragraph(None, (
        f"The draft of this report was shared for a factual accuracy check on {when}. "
        + (f"{counted(len(responses), 'response')} {'was' if len(responses) == 1 else 'were'} received; each is listed with the team's decision." if responses else "No responses are recorded.")
    ), key="fac:intro")]  # fmt: skip
    if responses:
        blocks.append(Table(
            ("Draft paragraph", "Organisation", "What was said", "Decision", "Change made or reason"),
            tuple(_response_cells(r, last) for r in responses),
        ))  # fmt: skip
    rows = changed_rows(last.paragraphs, now)
    blocks.append(Paragraph(None, (
        f"What changed since the draft shared on {when}, paragraph by paragraph:" if rows
        else f"Nothing has changed since the draft shared on {when}."
    ), key="fac:changes"))  # fmt: skip
    if rows:
        blocks.append(Table(("Draft paragraph", "As it read", "As it reads now"), rows))
    return Section("Factual accuracy check", tuple(blocks))


def _response_cells(row: ResponseRow, last: DraftRow) -> tuple[str, ...]:
    content = row.content
    where = str(content.paragraph)
    if content.draft_id != last.id:
        where += f" (draft shared on {show_when(row.shared_on)})" if row.shared_on else " (a draft not on this laptop)"
    outcome = {"accepted": content.change, "not_accepted": content.reason}.get(content.decision, "")
    return (where, cell(row.organisation), content.said, DECISIONS.get(content.decision, content.decision), outcome)


def changed_rows(draft: Sequence[DraftParagraph], now: Sequence[Paragraph]) -> tuple[tuple[str, str, str], ...]:
    """(draft paragraph number, as it read, as it reads now) for each paragraph that changed, was
    removed or was added. Paragraphs are compared group by group (a key less its running number:
    "summary:3" is of "summary"), aligned by their text, so a line added to the summary is one added
    paragraph, not every later line changed."""
    old_groups, new_groups = _grouped(draft), _grouped([p for p in now if p.number is not None])
    found: list[tuple[float, str, str, str]] = []
    budget = [_MEASURES]
    for group in dict.fromkeys([*old_groups, *new_groups]):
        old, new = old_groups.get(group, []), new_groups.get(group, [])
        matcher = SequenceMatcher(None, [t for _n, t in old], [t for _n, t in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            after: float = old[i1 - 1][0] if i1 > 0 else (old[0][0] - 1 if old else _anchor(draft, new[j1][0]))
            for was, now_at in _paired([t for _n, t in old[i1:i2]], [t for _n, t in new[j1:j2]], budget):
                if was is not None:
                    number, before = old[i1 + was]
                    after = number
                    found.append((number, str(number), before, new[j1 + now_at][1] if now_at is not None else REMOVED))
                elif now_at is not None:
                    found.append((after + 0.5, ADDED, "", new[j1 + now_at][1]))
    return tuple((number, was, now_text) for _at, number, was, now_text in sorted(found, key=lambda f: f[0]))


def _paired(old: list[str], new: list[str], budget: list[int]) -> list[tuple[int | None, int | None]]:
    """Replaced paragraphs paired in order with the most alike one (a paragraph edited, not swapped
    for another); the rest removed or added. At most budget[0] likenesses are weighed (it is spent):
    past that, paragraphs are listed removed and added, unpaired, so a draft or a summary of thousands
    of lines cannot hold the report up."""
    pairs: list[tuple[int | None, int | None]] = []
    at = 0
    grams = [_Bigrams(text) for text in new]
    for i, text in enumerate(old):
        window = range(at, at + max(min(len(new) - at, budget[0]), 0))
        budget[0] -= len(window)
        mine = _Bigrams(text) if window else None
        best = max(((mine.alike(grams[j]), j) for j in window), default=(0.0, -1)) if mine else (0.0, -1)
        if best[0] < _ALIKE:
            pairs.append((i, None))
            continue
        pairs += [(None, j) for j in range(at, best[1])] + [(i, best[1])]
        at = best[1] + 1
    return pairs + [(None, j) for j in range(at, len(new))]


class _Bigrams:
    """A paragraph's opening as a multiset of its two-character pieces, for Dice's likeness: linear in
    the text, whatever it holds (difflib's ratio took seconds to minutes on long or repetitive text)."""

    def __init__(self, text: str) -> None:
        opening = f" {text[:_OPENING]} "
        self.counts = Counter(opening[k : k + 2] for k in range(len(opening) - 1))
        self.total = len(opening) - 1

    def alike(self, other: _Bigrams) -> float:
        small, large = (self.counts, other.counts) if len(self.counts) <= len(other.counts) else (other.counts, self.counts)
        common = sum(min(n, large[g]) for g, n in small.items() if g in large)
        return 2 * common / (self.total + other.total)


_ALIKE = 0.5  # at least this alike (Dice's coefficient of their openings' bigrams) to be the same paragraph, edited
_OPENING = 1_000  # characters of a paragraph weighed: enough to tell an edit from a swap
_MEASURES = 20_000  # likenesses weighed for one report at most


def _grouped(paragraphs: Sequence[DraftParagraph | Paragraph]) -> dict[str, list[tuple[int, str]]]:
    groups: dict[str, list[tuple[int, str]]] = {}
    for paragraph in paragraphs:
        head, _sep, tail = paragraph.key.rpartition(":")
        group = head if tail.isdigit() and head else paragraph.key
        assert paragraph.number is not None
        groups.setdefault(group, []).append((paragraph.number, paragraph.text))
    return groups


def _anchor(draft: Sequence[DraftParagraph], number_now: int) -> float:
    """Where a paragraph of a part the draft did not have goes among the draft's: by its number now."""
    return min(number_now, max((p.number for p in draft), default=0)) - 0.25
