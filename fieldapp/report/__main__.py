"""Build, publish and verify assessment reports from a command, for automation and our checks:
- `python -m fieldapp.report build VAULT_FOLDER ASSESSMENT_ID --format pdf|docx|html --out FILE
  [--draft [--shared-on DATE] [--share] | --published [ITEM_ID]]`: a working copy, a draft (with --share, recorded
  as shared for the factual accuracy check, the lead inspector only), or a published report with its seal;
- `python -m fieldapp.report publish VAULT_FOLDER ASSESSMENT_ID [--on DATE]`: freeze the report as a signed,
  immutable item with its manifest (the lead inspector only); prints the item's id;
- `python -m fieldapp.report verify REPORT_FILE --vault VAULT_FOLDER`: check a published report file
  against the vault, a line per check, then "Verified: …" or "NOT verified: …".
The passphrase is read from stdin. Reports are plaintext: build says where it wrote one. Exit 0 done
(written, published, verified), 1 refused or not verified (a conflict, a wrong passphrase, a full disk,
an altered file), 2 a usage error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from fieldapp.dates import show_when
from fieldapp.errors import FieldappError, NotFound
from fieldapp.report.build import build_report, share_draft
from fieldapp.report.check_file import verify_file
from fieldapp.report.formats import FORMATS, export
from fieldapp.report.model import Report
from fieldapp.vault import Vault

REFUSED, USAGE_ERROR = 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fieldapp.report", description="Build, publish or verify an assessment report (passphrase on stdin).")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build an assessment's report", description="Build an assessment's report.")
    build.add_argument("vault", metavar="VAULT_FOLDER", type=Path)
    build.add_argument("assessment", metavar="ASSESSMENT_ID")
    build.add_argument("--format", choices=tuple(FORMATS), default="html")
    build.add_argument("--out", metavar="FILE", type=Path, required=True)
    which = build.add_mutually_exclusive_group()
    which.add_argument("--draft", action="store_true", help="a draft for the factual accuracy check")
    which.add_argument("--published", metavar="ITEM_ID", nargs="?", const="", default=None,
                       help="the published report (the latest, or the one named), with its seal")  # fmt: skip
    build.add_argument("--shared-on", metavar="YYYY-MM-DD", type=date.fromisoformat, help="the day the draft is shared (default: today)")
    build.add_argument("--share", action="store_true",
                       help="with --draft: record the draft as shared on that day, so the final report says what changed")  # fmt: skip
    publish = commands.add_parser("publish", help="publish an assessment's report", description="Freeze the report as a signed item; prints its id.")
    publish.add_argument("vault", metavar="VAULT_FOLDER", type=Path)
    publish.add_argument("assessment", metavar="ASSESSMENT_ID")
    publish.add_argument("--on", metavar="YYYY-MM-DD", type=date.fromisoformat, help="the day it is published (default: today)")
    verify = commands.add_parser("verify", help="verify a published report file", description="Check a published report file against a vault.")
    verify.add_argument("report", metavar="REPORT_FILE", type=Path)
    verify.add_argument("--vault", metavar="VAULT_FOLDER", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "build" and args.share and not args.draft:
        parser.error("--share records a draft: give --draft too")
    passphrase = sys.stdin.readline().rstrip("\r\n")
    if args.command == "publish":
        return _publish(args, passphrase)
    if args.command == "verify":
        return _verify(args, passphrase)
    try:
        vault = Vault.open(args.vault, passphrase=passphrase)
        try:
            written = export(vault.audit, _report(vault, args), args.out, args.format, assessment_id=args.assessment)
        finally:
            vault.lock()
    except FieldappError as exc:
        print(f"Not written: {exc}", file=sys.stderr)
        return REFUSED
    print(f"Wrote the report to {written.resolve()} (plaintext: keep it where the assessment's evidence may be kept).")
    return 0


def _report(vault: Vault, args: argparse.Namespace) -> Report:
    if args.published is None and args.share:
        report, _recorded = share_draft(vault, args.assessment, args.shared_on or date.today())
        return report
    if args.published is None:
        return build_report(vault, args.assessment, draft=args.draft, shared_on=(args.shared_on or date.today()) if args.draft else None)
    published = vault.published.list(args.assessment)
    if not published:
        raise NotFound(f"The assessment {args.assessment} has no published report yet; publish it first.")
    if args.published and args.published not in {p.id for p in published}:
        raise NotFound(f"There is no published report {args.published} of the assessment {args.assessment} in this vault.")
    return vault.published.report(args.published or published[-1].id)


def _publish(args: argparse.Namespace, passphrase: str) -> int:
    try:
        vault = Vault.open(args.vault, passphrase=passphrase)
        try:
            made = vault.published.publish(args.assessment, args.on).value
        finally:
            vault.lock()
    except FieldappError as exc:
        print(f"Not published: {exc}", file=sys.stderr)
        return REFUSED
    print(made.id)
    print(f"Published the report on {show_when(made.published_on)}, citing {made.cited} signed revisions; export it with "
          f"build … --published {made.id}.", file=sys.stderr)  # fmt: skip
    return 0


def _verify(args: argparse.Namespace, passphrase: str) -> int:
    try:
        vault = Vault.open(args.vault, passphrase=passphrase)
        try:
            verdict = verify_file(vault.published, args.report)
        finally:
            vault.lock()
    except FieldappError as exc:
        print(f"NOT verified: {exc}")
        return REFUSED
    for check in verdict.checks:
        print(f"{'ok:' if check.holds else 'FAILED:'} {check.words}")
    for note in verdict.notes:
        print(f"note: {note}")
    print(verdict.summary(args.report.name))
    if not verdict.verified:
        return REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
