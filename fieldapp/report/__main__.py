"""Build an assessment report from a command, for automation and our checks:
`python -m fieldapp.report build VAULT_FOLDER ASSESSMENT_ID --format pdf|docx|html --out FILE [--draft [--shared-on DATE]]`.
The passphrase is read from stdin. Reports are plaintext: it says where it wrote one. Exit 0 written,
1 refused (a conflict, a wrong passphrase, a full disk), 2 a usage error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from fieldapp.errors import FieldappError
from fieldapp.report.build import build_report
from fieldapp.report.formats import FORMATS, writer_for
from fieldapp.vault import Vault

REFUSED, USAGE_ERROR = 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fieldapp.report", description="Build an assessment report (passphrase on stdin).")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build an assessment's report", description="Build an assessment's report.")
    build.add_argument("vault", metavar="VAULT_FOLDER", type=Path)
    build.add_argument("assessment", metavar="ASSESSMENT_ID")
    build.add_argument("--format", choices=tuple(FORMATS), default="html")
    build.add_argument("--out", metavar="FILE", type=Path, required=True)
    build.add_argument("--draft", action="store_true", help="a draft for the factual accuracy check")
    build.add_argument("--shared-on", metavar="YYYY-MM-DD", type=date.fromisoformat, help="the day the draft is shared (default: today)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    passphrase = sys.stdin.readline().rstrip("\r\n")
    try:
        vault = Vault.open(args.vault, passphrase=passphrase)
        try:
            report = build_report(vault, args.assessment, draft=args.draft, shared_on=(args.shared_on or date.today()) if args.draft else None)
        finally:
            vault.lock()
        written = writer_for(args.format)(report, args.out)
    except FieldappError as exc:
        print(f"Not written: {exc}", file=sys.stderr)
        return REFUSED
    print(f"Wrote the report to {written.resolve()} (plaintext: keep it where the assessment's evidence may be kept).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
