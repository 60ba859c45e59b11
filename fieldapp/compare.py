"""Two versions of a record side by side as people read them, with the words that differ marked.

The conflicts view presents what `compare` returns; it runs on the vault worker (a long note's
word diff is not for the UI thread) and needs no vault, only the two revision bodies.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fieldapp import domain, readable
from fieldapp.revisions import revision
from fieldapp.errors import FieldappError
from fieldapp.framework import framework_by_key
from fieldapp.item_kinds import CONCERN_KINDS, DECISIONS, ORGANISATIONS, ROUNDINGS, STATEMENT_KEY, URGENCIES
from fieldapp.ratings import rules_by_key

# White space; a word, keeping the punctuation inside it ("20/11/2026", "15:00", "don't"); or one
# other character, so "weeks." and "weeks" share their word and differ only by the full stop.
_TOKENS = re.compile(r"\s+|[^\W_](?:[\w'’/:.,-]*[^\W_])?|\S")
_WORD_DIFF_LIMIT = 20_000  # tokens; beyond it lines are compared first (difflib is quadratic at worst)


@dataclass(frozen=True)
class Span:
    text: str
    changed: bool  # not in the other version (or not in the same place)


@dataclass(frozen=True)
class FieldSide:
    name: str  # a content field's name, or "tags" / "attachments"
    label: str  # as the editor names it
    spans: tuple[Span, ...]  # empty: nothing in this field
    collides: bool  # edited both ways: the inspector chooses


@dataclass(frozen=True)
class Version:
    revision_id: str
    device_id: str
    created_at: str
    deleted: bool
    fields: tuple[FieldSide, ...]


def compare(heads: Sequence[revision.SignedRevision], collision_paths: Sequence[str]) -> tuple[Version, ...]:
    """Each version as readable fields; where two versions differ, the differing words marked."""
    bodies = [head.fields() for head in heads]
    texts = [_field_texts(body) for body in bodies]
    colliding = {_field_of(path) for path in collision_paths}
    versions = []
    for index, body in enumerate(bodies):
        other = texts[1 - index] if len(texts) == 2 else {}
        fields = []
        for name, (label, text) in texts[index].items():
            theirs = other.get(name, ("", ""))[1] if other else text
            spans = word_diff(text, theirs)[0] if text != theirs else ((Span(text, False),) if text else ())
            fields.append(FieldSide(name, label, spans, name in colliding))
        versions.append(Version(heads[index].id, body["device_id"], body["created_at"], bool(body["deleted"]), tuple(fields)))
    return tuple(versions)


def collision_words(path: str, body: dict) -> str:
    """A collision's path as the editor names the field: 'content.contacts.<id>.service' -> 'Contact 2: service'."""
    parts = path.split(".")
    if parts[0] == "links" or parts[0] == "framework":
        return "Tags"
    if parts[0] == "attachments":
        return "Attachments"
    if parts[0] == "deleted":
        return "deleting against editing"
    if domain.is_item(body.get("kind", "")) and len(parts) >= 2:
        if parts[1] == "scores" and len(parts) >= 3:
            return f"Score for {_category_name(body, parts[2])}"
        return _ITEM_LABELS.get(parts[1], "Content")
    if len(parts) >= 3 and parts[1] == "contacts" and parts[2] != "order":
        ids = [c.get("id") for c in body.get("content", {}).get("contacts", []) if isinstance(c, dict)]
        if parts[2] in ids:
            parts[2] = str(ids.index(parts[2]))  # by number, as the timeline shows it
    return domain.field_label(".".join([body.get("kind", ""), *parts[1:]]))


def word_diff(ours: str, theirs: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """Both texts as spans, the words one has and the other lacks marked changed."""
    a, b = _TOKENS.findall(ours), _TOKENS.findall(theirs)
    if len(a) + len(b) > _WORD_DIFF_LIMIT:
        return _line_then_word_diff(ours, theirs)
    left: list[Span] = []
    right: list[Span] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        same = tag == "equal"
        _add(left, a[i1:i2], not same)
        _add(right, b[j1:j2], not same)
    return _joined(left), _joined(right)


def _line_then_word_diff(ours: str, theirs: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    a, b = ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    left: list[Span] = []
    right: list[Span] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        mine, yours = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            _add(left, [mine], False)
            _add(right, [yours], False)
        elif tag == "replace" and len(_TOKENS.findall(mine)) + len(_TOKENS.findall(yours)) <= _WORD_DIFF_LIMIT:
            sub_left, sub_right = word_diff(mine, yours)
            left += sub_left
            right += sub_right
        else:
            _add(left, [mine], True)
            _add(right, [yours], True)
    return _joined(left), _joined(right)


def _add(spans: list[Span], tokens: Sequence[str], changed: bool) -> None:
    """Append tokens, joined to the span before when it is of the same kind; white space alone is
    never marked (it would paint gaps between unchanged words)."""
    for token in tokens:
        if not token:
            continue
        mark = changed and not token.isspace()
        if spans and spans[-1].changed == mark:
            spans[-1] = Span(spans[-1].text + token, mark)
        else:
            spans.append(Span(token, mark))


def _joined(spans: list[Span]) -> tuple[Span, ...]:
    """Changed words with only white space between them become one mark ('21/11/2026 09:30')."""
    out: list[Span] = []
    for span in spans:
        if span.changed and len(out) >= 2 and out[-2].changed and out[-1].text.isspace() and "\n" not in out[-1].text:
            gap = out.pop()
            out[-1] = Span(out[-1].text + gap.text + span.text, True)
        else:
            out.append(span)
    return tuple(out)


def _field_texts(body: dict) -> dict[str, tuple[str, str]]:
    """{field name: (label, text as read)} of one revision body, tags and attachments last."""
    if body["deleted"]:
        return {}
    if domain.is_item(body["kind"]):
        return _item_texts(body)
    try:
        content = domain.from_dict(body["kind"], body["content"])
    except FieldappError:
        return {"content": ("Content", "(this version's content cannot be read by this app)")}
    texts = {name: (label, "\n".join(lines)) for name, label, lines in readable.content_fields(content)}
    texts["tags"] = ("Tags", "\n".join(_tag_lines(body)))
    texts["attachments"] = ("Attachments", "\n".join(a.get("name", "") for a in body.get("attachments", [])))
    return texts


_ITEM_LABELS = {
    "scores": "Scores", "strengths": "Strengths", "improvements": "Areas requiring improvement", "key_evidence": "Key evidence",
    "status": "Status", "scored_by": "Scored by", "agreed_by": "Agreed by", "rules": "Scoring rules",
    "final_score": "Final rating", "reason": "Reason for the final rating", "rounding": "Rounding of exact halves",
    # the report's kinds (issue 14); a response's "reason" is why it was not accepted, named as the rating's is
    "summary": "Summary of the ICS's key features", "progress": "Progress commentary", "quotations": "Chosen quotations",
    "said": "What the organisation said", "organisation": "Organisation", "organisation_name": "Organisation",
    "paragraph": "Paragraph", "draft_id": "Shared draft", "decision": "Decision", "change": "Change made",
    "recorded_by": "Recorded by",
    # concerns (issue 15)
    "concern_kind": "Kind of concern", "urgency": "Urgency", "heard": "What was heard", "tell": "Who else should know",
    "statements": "Quality statements",
}  # fmt: skip


def _item_texts(body: dict) -> dict[str, tuple[str, str]]:
    """A judgement's or rating's fields as read: scores by category name with their words."""
    try:
        content = domain.item_from_dict(body["kind"], body["content"])
    except FieldappError:
        return {"content": ("Content", "(this version's content cannot be read by this app)")}
    if isinstance(content, domain.JudgementContent):
        lines = [f"{_category_name(body, key)}: {entry.score} ({_SCORE_WORDS[entry.score]}), {entry.basis}"
                 + (f", evidence of {readable.when_words(entry.evidence_date)}" if entry.evidence_date else "")
                 for key, entry in sorted(content.scores.items())]  # fmt: skip
        texts = {
            "scores": "\n".join(lines), "strengths": content.strengths, "improvements": content.improvements,
            "key_evidence": f"{len(content.key_evidence)} chosen" if content.key_evidence else "",
            "status": _STATUS_WORDS.get(content.status, content.status),
            "scored_by": content.scored_by, "agreed_by": content.agreed_by,
        }  # fmt: skip
    elif isinstance(content, domain.RatingContent):
        final = f"{content.final_score} ({_RATING_WORDS[content.final_score]})" if content.final_score else "as computed"
        texts = {"rules": _rules_words(content.rules), "final_score": final, "reason": content.reason, "rounding": ROUNDINGS[content.rounding]}
    elif isinstance(content, domain.PublishedContent):  # immutable, so never in a conflict; said plainly all the same
        texts = {"content": f"Report published on {readable.when_words(content.published_on)}"}
    elif isinstance(content, (domain.ReportTextContent, domain.FacResponseContent, domain.DraftContent)):
        texts = _report_item_texts(body, content)
    elif isinstance(content, domain.ConcernContent):
        texts = {
            "concern_kind": CONCERN_KINDS.get(content.concern_kind, content.concern_kind), "urgency": URGENCIES.get(content.urgency, content.urgency),
            "heard": content.heard, "tell": content.tell, "statements": f"{len(content.statements)} quality statements" if content.statements else "",
        }  # fmt: skip
    else:
        texts = {"content": f"{content.kind} snapshot of {readable.when_words(content.taken_on)}"}
    return {name: (_ITEM_LABELS.get(name, "Content"), text) for name, text in texts.items()}


def _report_item_texts(body: dict, content: domain.ReportTextContent | domain.FacResponseContent | domain.DraftContent) -> dict[str, str]:
    """The report's texts by theme name, a response's organisation and decision in words."""
    if isinstance(content, domain.ReportTextContent):
        def by_theme(texts: dict[str, str]) -> str:
            return "\n".join(f"{_theme_name(body, theme)}: {text}" for theme, text in sorted(texts.items()))

        return {
            "summary": content.summary, "progress": content.progress, "strengths": by_theme(content.strengths),
            "improvements": by_theme(content.improvements), "quotations": f"{len(content.quotations)} chosen" if content.quotations else "",
        }  # fmt: skip
    if isinstance(content, domain.FacResponseContent):
        return {
            "paragraph": str(content.paragraph), "organisation": content.organisation_name or ORGANISATIONS.get(content.organisation, ""),
            "said": content.said, "decision": DECISIONS.get(content.decision, content.decision), "change": content.change,
            "reason": content.reason,
        }  # fmt: skip
    return {"content": f"Draft report shared on {readable.when_words(content.shared_on)}"}


def _theme_name(body: dict, theme_id: str) -> str:
    try:
        return framework_by_key(body["framework"]).theme(theme_id).name
    except LookupError:
        return "A theme this app does not know yet"


_STATUS_WORDS = {"draft": "Draft", "agreed": "Agreed by the lead inspector"}  # as the judgement form says them


def _rules_words(key: str) -> str:
    """The rules' name as the roll-up shows it, not their key ('cqc-ics-by-statement@1')."""
    try:
        return rules_by_key(key).name
    except FieldappError:
        return key  # rules this app does not know: their key is all there is to show


_SCORE_WORDS = {1: "significant shortfalls", 2: "some shortfalls", 3: "good standard", 4: "exceptional standard"}
_RATING_WORDS = {1: "Inadequate", 2: "Requires improvement", 3: "Good", 4: "Outstanding"}


def _category_name(body: dict, key: str) -> str:
    if key == STATEMENT_KEY:
        return "The statement"
    try:
        return framework_by_key(body["framework"]).category(key).name
    except LookupError:
        return "An evidence category this app does not know yet"


def _tag_lines(body: dict) -> list[str]:
    try:
        framework = framework_by_key(body["framework"])
        return [f"{framework.statement(link['statement']).name} × {framework.category(link['category']).name}" for link in body["links"]]
    except LookupError:
        # A framework that has not reached this laptop yet: no names to give, and never slugs.
        return ["a quality statement this app does not know yet" for _link in body["links"]]


def _field_of(path: str) -> str:
    """Which shown field a collision's path falls in."""
    parts = path.split(".")
    if parts[0] in ("links", "framework"):
        return "tags"
    if parts[0] == "content" and len(parts) > 1:
        return parts[1]
    return parts[0]
