"""Run a benchmark by name: `python -m bench vault --records 10000`, `python -m bench ui`, `python -m bench sync`,
`python -m bench report`, `python -m bench service`."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="name", required=True)
    vault = sub.add_parser("vault", help="the encrypted vault: unlock, save, search, attachments, memory")
    vault.add_argument("--records", type=int, default=10_000)
    vault.add_argument("--attachment-mb", type=int, default=500)
    vault.add_argument("--dir", default=None, help="where to build the vault (default: a temporary folder)")
    ui = sub.add_parser("ui", help="the desktop app: start-up, unlock to list, filtering, keystrokes, memory")
    ui.add_argument("--records", type=int, default=10_000)
    ui.add_argument("--only", choices=["judgement"], default=None, help="judgement: only the judgement view's opening (judgement_open_ms)")
    sync = sub.add_parser("sync", help="the service and sync: push, pull, incremental, attachments, many devices")
    sync.add_argument("--records", type=int, default=10_000)
    sync.add_argument("--attachment-mb", type=int, default=300)
    sync.add_argument("--devices", type=int, default=20)
    sync.add_argument("--dir", default=None, help="where to put the service and vaults (default: a temporary folder)")
    sync.add_argument("--peer", default=None, help="the PouchDB peer, set up with npm install (default: $FIELDAPP_PEER_DIR or ../shared/peers/pouchdb)")
    report = sub.add_parser("report", help="an assessment's report: build, then PDF, Word and HTML (pdf_s, docx_s, html_s)")
    report.add_argument("--records", type=int, default=60)
    report.add_argument("--runs", type=int, default=3)
    report.add_argument("--dir", default=None, help="where to build the vault (default: a temporary folder)")
    service = sub.add_parser("service", help="the service at scale: many devices enrol, push and pull against several workers")
    service.add_argument("--devices", type=int, default=500)
    service.add_argument("--records", type=int, default=200, help="records each device pushes")
    service.add_argument("--workers", type=int, default=4)
    service.add_argument("--concurrency", type=int, default=8, help="devices talking to the service at once")
    service.add_argument("--photo-kb", type=int, default=256, help="the one photo each device sends, in KiB (one chunk: at most 4096)")
    service.add_argument("--team-size", type=int, default=5, help="devices per assessment")
    service.add_argument("--database-url", default=None, help="a PostgreSQL server; the bench makes a database of its own there and drops it after (default: FIELDAPP_TEST_DATABASE_URL, else SQLite)")
    service.add_argument("--blob-store", choices=["s3", "folder"], default="s3", help="s3: SeaweedFS started by the bench (default); folder: the data folder")
    service.add_argument("--quick", action="store_true", help="50 devices of 20 records, 2 workers: a check that it all works, not a measurement")
    service.add_argument("--dir", default=None, help="where to put the service's data (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.name == "service" and args.quick:
        args.devices, args.records, args.workers, args.concurrency = 50, 20, 2, 10
    if args.name == "report":
        from bench import report_bench

        result = report_bench.run(records=args.records, runs=args.runs, where=args.dir)
    elif args.name == "service":
        from bench import service_bench

        result = service_bench.run(
            devices=args.devices, records=args.records, workers=args.workers, concurrency=args.concurrency, team_size=args.team_size, photo_kb=args.photo_kb,
            database_url=args.database_url, blob_store=args.blob_store, where=args.dir,
        )  # fmt: skip
    elif args.name == "vault":
        from bench import vault_bench

        result = vault_bench.run(records=args.records, attachment_mb=args.attachment_mb, where=args.dir)
    elif args.name == "sync":
        from bench import sync_bench

        result = sync_bench.run(records=args.records, attachment_mb=args.attachment_mb, devices=args.devices, where=args.dir, peer=args.peer)
    else:
        from bench import ui_bench

        result = ui_bench.run(records=args.records, only=args.only)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
