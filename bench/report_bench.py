"""How long an assessment's report takes to make, in each format: `python -m bench report`.

A demo assessment as the issue names it: every quality statement of the framework scored (17),
60 evidence records of every kind, tagged passages quoted, key evidence cited, three rating
snapshots, the team's texts, a draft shared and responses to it (so the final report has its factual
accuracy check, with what changed since the draft). Each format is made --runs times from one report value and the median is printed
(pdf_s, docx_s, html_s; targets 3 s, 2 s and 1 s), beside the build of the value itself (build_s),
which every format shares. The first PDF also pays for starting Qt's fonts: first_pdf_s says so.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from fieldapp import domain
from fieldapp.framework import default_framework
from fieldapp.links import passage_of
from fieldapp.item_kinds import FacResponseContent, ReportTextContent
from fieldapp.report.build import build_report, share_draft
from fieldapp.report.formats import FORMATS, writer_for
from fieldapp.storage.keys import KdfParams
from fieldapp.vault import Vault

PASSPHRASE = "bench report passphrase"
TARGETS = {"pdf_s": 3.0, "docx_s": 2.0, "html_s": 1.0}
CATEGORIES = ("peoples-experience", "staff-leaders-feedback", "partners-feedback", "observation", "processes", "outcomes")
_SENTENCES = (
    "People told us they waited too long for a care package after leaving hospital.",
    "Staff described shared care records that work across the acute trust and social care.",
    "Partners said the place-based partnership meets monthly and acts on what it hears.",
    "The board asked for the winter plan to come back with discharge figures by locality.",
    "Carers of people living with dementia had no respite for weeks at a time.",
)


def demo_assessment(vault: Vault, records: int = 60) -> str:
    """An assessment with every statement scored and `records` records citing and quoting."""
    framework = default_framework()
    statements = framework.statements
    aid = vault.assessments.create("Northshire and Coast ICS", period_start="2026-11-02", period_end="2026-11-27",
                                   team=("Amara Okafor", "Ben Hughes", "Chloe Patel")).value.id  # fmt: skip
    cited: dict[str, list[domain.EvidenceRef]] = {s.id: [] for s in statements}
    for n in range(records):
        statement = statements[n % len(statements)]
        notes = " ".join(_SENTENCES[(n + k) % len(_SENTENCES)] for k in range(8))
        day = f"2026-11-{3 + n % 24:02d}"
        content = _record(n, notes, day)
        record = vault.records.create(aid, content).value
        quote = _SENTENCES[n % len(_SENTENCES)]
        start = record.content.notes.index(quote)
        link = vault.links.tag(record.id, statement.id, CATEGORIES[n % len(CATEGORIES)],
                               passage=passage_of(record.content, "notes", start, start + len(quote))).value  # fmt: skip
        cited[statement.id].append(domain.EvidenceRef(record.id, link.id))
    for i, statement in enumerate(statements):
        score = 1 + (i * 7) % 4
        vault.judgements.save(aid, statement.id, domain.JudgementContent(
            statement.id, {c: domain.ScoreEntry(max(1, min(4, score + (j % 2))), "updated", f"2026-11-{10 + i:02d}") for j, c in enumerate(CATEGORIES[:3])},
            strengths="\n".join(_SENTENCES[(i + k) % 5] for k in range(2)), improvements=_SENTENCES[(i + 3) % 5],
            key_evidence=tuple(cited[statement.id]),
        ))  # fmt: skip
    texts = vault.report_texts
    themes = framework.themes
    texts.save_texts(aid, ReportTextContent(
        summary="\n".join(_SENTENCES), progress="\n".join(_SENTENCES[:3]),
        strengths={t.id: _SENTENCES[i % 5] for i, t in enumerate(themes[::2])}, improvements={t.id: _SENTENCES[(i + 2) % 5] for i, t in enumerate(themes[::2])},
        quotations=tuple(domain.EvidenceRef(q.record_id, q.link_id) for q in texts.suggestions(aid)),
    ))  # fmt: skip
    vault.judgements.snapshot(aid, note="Draft rating for the factual accuracy check")
    _report, draft = share_draft(vault, aid, date(2026, 12, 7))
    for n, paragraph in enumerate(draft.paragraphs[:: max(1, len(draft.paragraphs) // 10)]):
        texts.record_response(aid, FacResponseContent(draft.id, paragraph.number, ("icb", "icp")[n % 2], f"Paragraph {paragraph.number} is not quite right.",
                                                      decision=("accepted", "not_accepted")[n % 2], change="Corrected.", reason="It is right."))  # fmt: skip
    texts.save_texts(aid, dataclasses.replace(texts.texts(aid).content, summary="\n".join(reversed(_SENTENCES))))
    vault.judgements.snapshot(aid, kind="review", note="Reviewed, unchanged")
    vault.judgements.snapshot(aid, note="Final rating")
    return aid


def _record(n: int, notes: str, day: str) -> domain.Content:
    kind = n % 4
    if kind == 0:
        return domain.Interview(title=f"Interview {n}", role="carer" if n % 8 else "person_using_services", pseudonym=f"Person P{n}",
                                consent=domain.Consent(True, "verbal", day), held_at=f"{day}T10:00", notes=notes)  # fmt: skip
    if kind == 1:
        return domain.FocusGroup(title=f"Staff focus group {n}", held_at=f"{day}T09:00", role="staff", participants=8, notes=notes)
    if kind == 2:
        return domain.Observation(title=f"Place partnership meeting {n}", meeting_type="place_led", held_at=f"{day}T14:00", notes=notes)
    return domain.CaseTracking(title=f"Hospital to home {n}", pseudonym=f"Person Q{n}", notes=notes)


def run(*, records: int = 60, runs: int = 3, where: str | None = None) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="bench-report-", dir=where))
    try:
        vault = Vault.create(folder / "vault", PASSPHRASE, kdf=KdfParams()).vault
        aid = demo_assessment(vault, records)
        builds, report = [], None
        for _ in range(runs):
            started = time.perf_counter()
            report = build_report(vault, aid, draft=False, shared_on=None)
            builds.append(time.perf_counter() - started)
        vault.lock()
        assert report is not None
        result: dict[str, object] = {"records": records, "statements": len(default_framework().statements), "runs": runs,
                                     "build_s": round(statistics.median(builds), 3)}  # fmt: skip
        for fmt in FORMATS:
            write = writer_for(fmt)
            times = []
            for i in range(runs + (1 if fmt == "pdf" else 0)):
                started = time.perf_counter()
                written = write(report, folder / f"report-{i}.{fmt}")
                times.append(time.perf_counter() - started)
                result[f"{fmt}_bytes"] = os.path.getsize(written)
            if fmt == "pdf":
                result["first_pdf_s"] = round(times.pop(0), 3)
            result[f"{fmt}_s"] = round(statistics.median(times), 3)
        result["targets"] = TARGETS
        result["met"] = all(k in result and float(result[k]) <= v for k, v in TARGETS.items())  # type: ignore[arg-type]
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
