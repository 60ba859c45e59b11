"""`fieldapp-server`: run the central service, and administer it.

    fieldapp-server --version
    fieldapp-server serve [--data DIR] [--database-url URL] [--host H] [--port P] [--workers N] [--trust-proxy IPS]
                          [--max-connections N] [--head-deadline SECONDS] [--keep-alive SECONDS]
                          [--blob-store folder|s3://BUCKET]   (the object store's endpoint and keys: FIELDAPP_S3_* in the environment)
                          [--redis URL] [--metrics-token-file FILE] [--log-to file|stderr]
    fieldapp-server migrate                                      bring the database's schema up to this release
    fieldapp-server sweep [--redis URL] [--blob-store …]         remove stale part-uploads (from a timer)
    fieldapp-server admin inspector add NAME [--email E] [--may-create-assessments]
    fieldapp-server admin assessment add NAME [--id ID] [--from DATE] [--to DATE] [--framework KEY] [--allow-same-name]
    fieldapp-server admin assessment set ID [--name NAME] [--from DATE] [--to DATE] [--no-period]
    fieldapp-server admin assessment retention ID --days N | --off   synced evidence leaves laptops N days after its last change
    fieldapp-server admin team add ASSESSMENT_ID INSPECTOR_ID [--lead | --role ROLE] | remove ASSESSMENT_ID INSPECTOR_ID
    fieldapp-server admin team role ASSESSMENT_ID INSPECTOR_ID ROLE   lead, inspector, specialist_adviser, expert_by_experience
    fieldapp-server admin team lead ASSESSMENT_ID INSPECTOR_ID   the one lead inspector (moves it from another)
    fieldapp-server admin team list ASSESSMENT_ID
    fieldapp-server admin code INSPECTOR_ID [--hours 24]        a one-time enrolment code
    fieldapp-server admin device list [--inspector ID] | revoke DEVICE_ID
    fieldapp-server admin framework publish FILE
    fieldapp-server admin concern list [--all]                   open concerns across teams, most urgent first
    fieldapp-server admin concern show ID
    fieldapp-server admin concern acknowledge ID --note TEXT [--by NAME]   sent to the team's laptops at their next sync
    fieldapp-server admin audit list [--device ID] [--since DATE]  the laptops' security events, newest first
    fieldapp-server admin office-token create --name NAME        a token for the office's HTTP routes, shown once
    fieldapp-server admin office-token list | revoke ID
    fieldapp-server admin local-setup                            the embedded default's inspector + a code
    fieldapp-server admin backup --to DIR       the database, then the attachments' folder, while the service runs
    fieldapp-server admin restore --from DIR    a backup in place of the service's data (the service stopped)
    fieldapp-server admin keys rotate --new-key-file F           re-wrap every data key under a new service key
    fieldapp-server admin keys encrypt-existing [--blob-store …] seal evidence stored before sealing at rest began

Every command takes --key-file F: the service key (default: FIELDAPP_SERVICE_KEY, else service.key in
the data folder, made 0600 on first start).

A DATE is written day first (01/11/2026) or as 2026-11-01.
Every admin command prints words for a person, or JSON with --json; errors go to stderr with exit 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from fieldapp.dates import show_when
from fieldapp.errors import FieldappError
from fieldapp.item_kinds import CONCERN_KINDS, URGENCIES
from fieldapp.version import app_version
from sync.server import admin, audit_log, backup, errors, frameworks, log_files, migrations, office, old_chunks, sealing
from sync.server.connections import ConnectionLimits
from sync.server.models import ROLES
from sync.server.settings import METRICS_TOKEN_FILE_ENV, S3_ENV, S3Settings, Settings, default_data_dir, metrics_token_from, s3_from_environment
from sync.server.shared_state import REDIS_URL_ENV

DEFAULT_PORT = 8765
LOCAL_INSPECTOR = "Local inspector"
_ENV_DATA, _ENV_URL, _ENV_KEY_FILE = "FIELDAPP_SERVER_DATA", "FIELDAPP_SERVER_DATABASE_URL", "FIELDAPP_SERVER_KEY_FILE"
log = logging.getLogger("fieldapp.server")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        s3 = _blob_store(args.blob_store) if hasattr(args, "blob_store") else s3_from_environment() if hasattr(args, "copying") else None
        # The URL may hold a password: FIELDAPP_SERVER_DATABASE_URL (a unit's EnvironmentFile) keeps it off the process list.
        url = args.database_url or os.environ.get(_ENV_URL) or None
        data = args.data or Path(os.environ.get(_ENV_DATA) or default_data_dir())
        key_file = args.key_file or (Path(os.environ[_ENV_KEY_FILE]) if os.environ.get(_ENV_KEY_FILE) else None)
        settings = Settings(data_dir=data, database_url=url, s3=s3, key_file=key_file, **_given(args))
    except ValueError as exc:  # FIELDAPP_NEWEST_CLIENT not a version, an object store half-said, a metrics token file unreadable
        print(f"fieldapp-server: {exc}", file=sys.stderr)
        return 1
    try:
        if args.command == "serve":
            return _serve(settings, args)
        if args.command in ("migrate", "sweep"):
            print(_migrate(settings) if args.command == "migrate" else _sweep(settings))
            return 0
        result = args.copying(settings, args) if hasattr(args, "copying") else _run_admin(settings, args)
    except errors.ServiceError as exc:
        print(f"fieldapp-server: {terminal_safe(exc.detail)}", file=sys.stderr)
        return 1
    except sealing.ServiceKeyError as exc:
        print(f"fieldapp-server: {exc}", file=sys.stderr)
        return 1
    except FieldappError as exc:  # the core's own words (an installation without its framework data, say)
        print(f"fieldapp-server: {terminal_safe(str(exc))}", file=sys.stderr)
        return 1
    print(json.dumps(result.data, indent=2) if args.json else terminal_safe(result.text))
    return 0


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """What `serve` and `sweep` were told beyond the environment: --redis, --metrics-token-file."""
    given: dict[str, Any] = {}
    if getattr(args, "redis", None):
        given["redis_url"] = args.redis
    if getattr(args, "metrics_token_file", None):
        given["metrics_token"] = metrics_token_from(str(args.metrics_token_file))
    return given


# What a device or an office token wrote (what was heard, a note, a name) is printed on the
# administrator's terminal: a control character there would be obeyed (a line cleared and rewritten,
# the title set, on some terminals the clipboard filled), so each is shown as its escape instead.
# Newlines and tabs stay; the JSON output escapes every character itself.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text as the terminal may print it: every control character (and bidirectional override) as `\\uXXXX`."""
    return _CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


# -- serve ------------------------------------------------------------------------------------------


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    os.umask(0o077)  # whatever the service makes (database, its -wal and -shm, attachments, logs) is this user's alone
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_files.configure(settings.data_dir, args.log_to)
    engine = _engine(settings)
    try:
        migrations.ready(engine, embedded=settings.embedded)  # once, before any worker starts
    finally:
        engine.dispose()
    kind = settings.database_url.split(":", 1)[0].split("+", 1)[0] if settings.database_url else "sqlite"
    shared = "Redis" if settings.redis_url else "this process's memory"
    log.info("fieldapp-server %s started: %s database, %d worker(s), port %d, rate limits in %s", app_version(), kind, args.workers,
             args.port, shared)  # fmt: skip  # never the URLs: they may hold a password
    where = _without_password(settings.database_url) if settings.database_url else f"SQLite in {settings.data_dir}"
    # The object store by endpoint and bucket only: its keys are never printed nor logged.
    where += f"; attachments in bucket {settings.s3.bucket} at {settings.s3.endpoint}" if settings.s3 else ""
    print(f"fieldapp-server: serving on http://{args.host}:{args.port} ({where}); Ctrl+C stops it", file=sys.stderr, flush=True)
    if args.workers > 1 and not settings.redis_url:
        print(f"fieldapp-server: without --redis each of the {args.workers} workers counts rate limits alone and sweeps stale "
              "uploads itself; name a Redis to share them (docs/deployment.md)", file=sys.stderr, flush=True)  # fmt: skip
    tls = {"ssl_certfile": args.ssl_certfile, "ssl_keyfile": args.ssl_keyfile} if args.ssl_certfile else {}
    # X-Forwarded-For is believed only from a reverse proxy named here: otherwise any caller could
    # pick the address that the enrolment rate limit counts against.
    proxy = {"proxy_headers": True, "forwarded_allow_ips": args.trust_proxy} if args.trust_proxy else {"proxy_headers": False}
    # A cap on open connections (each worker): beyond it, 503 at once rather than file descriptors
    # running out under many slow clients; stalled heads are closed and idle connections shed before it.
    guard = ConnectionLimits(max_connections=args.max_connections, head_deadline_s=args.head_deadline, keep_alive_s=args.keep_alive)
    common = {"host": args.host, "port": args.port, "log_level": args.log_level, **guard.uvicorn_options(), **proxy, **tls}
    if args.workers == 1:
        from sync.server.app import create_app

        uvicorn.run(create_app(settings, migrate=False), **common)
        return 0
    # Each worker process builds its own app from the environment (the service is stateless), and
    # writes its metrics to files in a folder of this run's, which any worker adds up when scraped.
    from sync.server.metrics import MULTIPROCESS_ENV

    with tempfile.TemporaryDirectory(prefix="fieldapp-metrics-") as counts:
        os.environ.update({_ENV_DATA: str(settings.data_dir), log_files.LOG_TO_ENV: args.log_to, MULTIPROCESS_ENV: counts})
        if settings.database_url:
            os.environ[_ENV_URL] = settings.database_url
        if settings.key_file:
            os.environ[_ENV_KEY_FILE] = str(settings.key_file)
        if settings.s3:
            os.environ[S3_ENV + "BUCKET"] = settings.s3.bucket
        if settings.redis_url:
            os.environ[REDIS_URL_ENV] = settings.redis_url
        if getattr(args, "metrics_token_file", None):
            os.environ[METRICS_TOKEN_FILE_ENV] = str(args.metrics_token_file)
        uvicorn.run("sync.server.cli:app_from_environment", factory=True, workers=args.workers, **common)
    return 0


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def app_from_environment() -> Any:
    """A worker's app (`serve --workers N`): its settings and where it logs, from what `serve` put in the environment."""
    from sync.server.app import create_app

    data, key_file = os.environ.get(_ENV_DATA), os.environ.get(_ENV_KEY_FILE)
    settings = Settings(
        data_dir=Path(data) if data else default_data_dir(), database_url=os.environ.get(_ENV_URL), s3=s3_from_environment(),
        key_file=Path(key_file) if key_file else None,
    )  # fmt: skip
    log_files.configure(settings.data_dir, os.environ.get(log_files.LOG_TO_ENV, "file"), worker=True)
    app = create_app(settings, migrate=False)
    log.info("worker ready")
    return app


def _migrate(settings: Settings) -> str:
    engine = _engine(settings)
    try:
        before = migrations.current(engine)
        applied = migrations.upgrade(engine)
    finally:
        engine.dispose()
    if not applied:
        return f"The database is at schema {before}, this release's newest: nothing to do."
    return f"Migrated the database from schema {before or 'none (empty)'} to {applied[-1]}: applied {', '.join(applied)}."


def _sweep(settings: Settings) -> str:
    from sync.server.service import Service

    engine = _engine(settings)
    try:
        migrations.ready(engine, embedded=settings.embedded)  # the seal's keys live in the schema
    finally:
        engine.dispose()
    service = Service(settings)
    try:
        removed = service.sweep()
    finally:
        service.engine.dispose()
    max_age = f"{settings.limits.staging_max_age_s / 86400:g} days"
    if removed is None:
        return "Another process is sweeping stale uploads just now; nothing to do."
    return f"Removed {removed} part-upload{'s' if removed != 1 else ''} untouched for {max_age}."


def _blob_store(choice: str | None) -> S3Settings | None:
    """`--blob-store`: "folder", or "s3://BUCKET"; not given, FIELDAPP_S3_BUCKET's bucket if set, else the folder."""
    if choice == "folder":
        return None
    if choice is None or choice.startswith("s3://"):
        return s3_from_environment(choice.removeprefix("s3://").strip("/") if choice else None)
    raise ValueError(f"--blob-store {choice!r}: write folder, or s3://BUCKET.")


# -- admin ------------------------------------------------------------------------------------------


class Result:
    def __init__(self, text: str, data: Any) -> None:
        self.text, self.data = text, data


def _run_admin(settings: Settings, args: argparse.Namespace) -> Result:
    engine = _engine(settings)
    try:
        migrations.ready(engine, embedded=settings.embedded)
        if args.handler is None:  # a command of many transactions of its own (admin keys)
            return args.engine_handler(engine, settings, args)
        with Session(engine.execution_options(writer=True)) as session, session.begin():
            return args.handler(session, args)
    finally:
        engine.dispose()


def _engine(settings: Settings) -> Any:
    from sync.server.service import prepare_data_dir

    prepare_data_dir(settings)
    return sealing.engine_for(settings)


def _keys_rotate(engine: Any, _settings: Settings, args: argparse.Namespace) -> Result:
    old = sealing.of_engine(engine).wrapper
    new = sealing.read_key_file(args.new_key_file)
    count = sealing.rotate(engine, old, new)
    text = (
        f"{count} data key(s) re-wrapped under service key {new.key_id} (from {old.key_id}). "
        f"Start the service with --key-file {args.new_key_file} now; keep the old key file until it runs."
    )
    return Result(text, {"rewrapped": count, "old_key_id": old.key_id, "new_key_id": new.key_id})


def _keys_encrypt_existing(engine: Any, settings: Settings, _args: argparse.Namespace) -> Result:
    from sync.server.service import blob_store

    chunks = old_chunks.seal_old_chunks(engine, blob_store(settings, old_chunks.engine_seal(engine)))
    counts = {**sealing.seal_existing(engine), "attachment chunks": chunks.sealed, "damaged attachments": len(chunks.damaged)}
    text = f"Sealed {counts['revisions']} revision(s), {counts['concerns']} concern(s) and {chunks.sealed} attachment chunk(s) stored in plaintext."
    if chunks.damaged:
        text += (
            f"\n{len(chunks.damaged)} attachment(s) were altered where they are stored, so they were left as they are: restore them "
            "from a backup, then run this again. By SHA-256:\n" + "\n".join(chunks.damaged)
        )
    return Result(text, counts)


def _inspector_add(session: Session, args: argparse.Namespace) -> Result:
    info = admin.create_inspector(session, args.name, email=args.email, may_create_assessments=args.may_create_assessments)
    return Result(f"Inspector {info.name}: {info.id}", admin.as_dict(info))


def _inspector_list(session: Session, _args: argparse.Namespace) -> Result:
    rows = admin.list_inspectors(session)
    lines = [f"{r.id}  {r.name}{'  (may create assessments)' if r.may_create_assessments else ''}" for r in rows]
    return Result("\n".join(lines) or "No inspectors yet.", [admin.as_dict(r) for r in rows])


def _assessment_add(session: Session, args: argparse.Namespace) -> Result:
    info = admin.create_assessment(
        session, args.name, assessment_id=args.id, period_start=args.start, period_end=args.end, framework=args.framework,
        allow_same_name=args.allow_same_name,
    )  # fmt: skip
    return Result(f"Assessment {info.name}: {info.id} ({info.framework})", admin.as_dict(info))


def _assessment_set(session: Session, args: argparse.Namespace) -> Result:
    if args.name is None and args.start is None and args.end is None and not args.no_period:
        raise errors.Invalid("Say what to change: --name, --from, --to or --no-period.")
    info = admin.change_assessment(
        session, args.assessment, name=args.name, period_start=args.start, period_end=args.end, clear_period=args.no_period,
    )  # fmt: skip
    period = f"{_day_first(info.period_start)} – {_day_first(info.period_end)}"
    return Result(f"Assessment {info.name}: {info.id}, period {period}; laptops take it at their next sync", admin.as_dict(info))


def _assessment_retention(session: Session, args: argparse.Namespace) -> Result:
    info = admin.set_retention(session, args.assessment, None if args.off else args.days)
    if info.retention_days is None:
        words = "evidence stays on the team's laptops"
    else:
        days = f"{info.retention_days} day{'' if info.retention_days == 1 else 's'}"
        words = f"synced evidence leaves the team's laptops {days} after its last change (kept here)"
    return Result(f"Assessment {info.name}: {info.id}, {words}; laptops take it at their next sync", admin.as_dict(info))


def _day_first(iso_day: str | None) -> str:
    return f"{iso_day[8:10]}/{iso_day[5:7]}/{iso_day[:4]}" if iso_day else "?"


_DAY_FIRST = re.compile(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*")


def _date(text: str) -> str:
    """A day as the service keeps it (2026-11-01), from 01/11/2026 as England writes it, or as
    2026-11-01; anything else is passed on for the service's own check to name it."""
    day_first = _DAY_FIRST.fullmatch(text)
    if day_first is None:
        return text.strip()
    day, month, year = (int(part) for part in day_first.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return text.strip()  # 31/02/2026: the check names it as it was typed


def _assessment_list(session: Session, _args: argparse.Namespace) -> Result:
    rows = admin.list_assessments(session)
    lines = [
        f"{r.id}  {r.name}  {show_when(r.period_start) or '?'} – {show_when(r.period_end) or '?'}  team: {len(r.team)}" + (f", lead {r.lead_name}" if r.lead_name else "")
        for r in rows
    ]
    return Result("\n".join(lines) or "No assessments yet.", [admin.as_dict(r) for r in rows])


def _team(session: Session, args: argparse.Namespace) -> Result:
    if args.team_command == "add":
        info = admin.add_member(session, args.assessment, args.inspector, lead=args.lead, role=args.role)
    elif args.team_command == "role":
        info = admin.set_role(session, args.assessment, args.inspector, args.role)
    elif args.team_command == "lead":
        info = admin.set_lead(session, args.assessment, args.inspector)
    else:
        info = admin.remove_member(session, args.assessment, args.inspector)
    led = f", led by {info.lead_name}" if info.lead_name else ""
    return Result(f"{info.name}: {len(info.team)} in the team{led}", admin.as_dict(info))


def _team_list(session: Session, args: argparse.Namespace) -> Result:
    rows = admin.list_members(session, args.assessment)
    lines = [f"{r.inspector_id}  {r.name}  ({r.role_label})" for r in rows]
    return Result("\n".join(lines) or "No one in the team yet.", [{**admin.as_dict(r), "role_label": r.role_label} for r in rows])


def _code(session: Session, args: argparse.Namespace) -> Result:
    code, expires = admin.issue_code(session, args.inspector, hours=args.hours)
    return Result(f"Enrolment code {code} (works once, until {_at(expires)})", {"code": code, "expires_at": expires})


def _device_list(session: Session, args: argparse.Namespace) -> Result:
    rows = admin.list_devices(session, args.inspector)
    lines = [
        f"{r.id}  {r.inspector}  {r.label or '-'}  enrolled on {_at(r.enrolled_at)}"
        + (f"  REVOKED on {_at(r.revoked_at)}" if r.revoked_at else "") + _wiped(r.wiped_at)
        for r in rows
    ]
    return Result("\n".join(lines) or "No devices enrolled yet.", [admin.as_dict(r) for r in rows])


def _wiped(wiped_at: str | None) -> str:
    """ "  wiped on 07/12/2026 at 14:30 (UTC)": when the revoked laptop confirmed its vault was wiped."""
    return f"  wiped on {_at(wiped_at)}" if wiped_at else ""


def _at(moment: str | None) -> str:
    """A stored UTC moment as an administrator reads it, day first: "07/12/2026 at 14:30 (UTC)", never ISO."""
    day, _, clock = show_when(moment).partition(" ")
    return f"{day} at {clock} (UTC)"


def _device_revoke(session: Session, args: argparse.Namespace) -> Result:
    info = admin.revoke_device(session, args.device)
    return Result(f"Device {info.id} ({info.inspector}) revoked on {_at(info.revoked_at)}", admin.as_dict(info))


def _framework_publish(session: Session, args: argparse.Namespace) -> Result:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise errors.Invalid(f"Cannot read {args.file}: {exc}") from None
    key = frameworks.publish(session, text)
    return Result(f"Framework {key} published; devices receive it at their next sync", {"key": key})


def _concern_list(session: Session, args: argparse.Namespace) -> Result:
    rows = admin.list_concerns(session, include_acknowledged=args.all)
    lines = [
        f"{r.id}  {URGENCIES.get(r.urgency, r.urgency)}  {CONCERN_KINDS.get(r.concern_kind, r.concern_kind)}  {r.assessment}  "
        f"raised by {r.raised_by} {show_when(r.raised_at)}" + (f"  acknowledged by {r.acknowledged_by}" if r.acknowledged_by else "")
        for r in rows
    ]  # fmt: skip
    empty = "No concerns yet." if args.all else "No open concerns: every concern has been acknowledged."
    return Result("\n".join(lines) or empty, [admin.as_dict(r) for r in rows])


def _concern_show(session: Session, args: argparse.Namespace) -> Result:
    info = admin.get_concern(session, args.concern)
    return Result(_concern_words(info), admin.as_dict(info))


def _concern_acknowledge(session: Session, args: argparse.Namespace) -> Result:
    by = args.by or os.environ.get("USER") or ""
    info = admin.acknowledge_concern(session, args.concern, args.note, by=by)
    return Result(_concern_words(info) + "\nThe team's laptops show it acknowledged at their next sync.", admin.as_dict(info))


def _concern_words(info: admin.ConcernInfo) -> str:
    lines = [
        f"Concern {info.id}",
        f"  {CONCERN_KINDS.get(info.concern_kind, info.concern_kind)}; {URGENCIES.get(info.urgency, info.urgency)}",
        f"  Assessment: {info.assessment} ({info.assessment_id})",
        f"  Raised by {info.raised_by} on {show_when(info.raised_at)} (UTC); received {show_when(info.received_at)} (UTC)",
        f"  What was heard: {_indented(info.heard)}",
    ]
    if info.tell:
        lines.append(f"  Who else should know: {_indented(info.tell)}")
    if info.acknowledged_at:
        note = _indented(info.acknowledgement_note or "")
        lines.append(f"  Acknowledged by {info.acknowledged_by} on {show_when(info.acknowledged_at)} (UTC): {note}")
    else:
        lines.append("  Not acknowledged yet: `fieldapp-server admin concern acknowledge ID --note TEXT`")
    return "\n".join(lines)


def _indented(text: str) -> str:
    """A device's text over several lines, each further in than the service's own lines, so none can
    pass for one of them ("  Acknowledged by …")."""
    return text.replace("\n", "\n      ")


def _audit_list(session: Session, args: argparse.Namespace) -> Result:
    since = None
    if args.since is not None:
        try:
            since = date.fromisoformat(_date(args.since))
        except ValueError:
            raise errors.Invalid(f"--since takes a day written day first, as 01/12/2026 (not {args.since!r}).") from None
    rows = audit_log.list_entries(session, device_id=args.device, since=since)
    lines = [f"{_utc_day_first(r.at)}  {r.device_id}  {r.inspector}  {r.device or '-'}  {r.words}" for r in rows]
    return Result("\n".join(lines) or "No audit entries yet.", [admin.as_dict(r) for r in rows])


def _utc_day_first(moment: str) -> str:
    """An ISO moment in UTC as '07/12/2026 14:32:05 UTC'."""
    return f"{moment[8:10]}/{moment[5:7]}/{moment[:4]} {moment[11:19]} UTC"


def _office_token_create(session: Session, args: argparse.Namespace) -> Result:
    info, token = office.create_token(session, args.name)
    words = (
        f"Office token for {info.name} (id {info.id}):\n  {token}\n"
        "It is shown this once and kept nowhere: hand it to the office now, to keep in a password manager. "
        "It reads every team's concerns and acknowledges them; `office-token revoke ID` stops it at once."
    )
    return Result(words, {**admin.as_dict(info), "token": token})


def _office_token_list(session: Session, _args: argparse.Namespace) -> Result:
    rows = office.list_tokens(session)
    lines = [
        f"{r.id}  {r.name}  made {show_when(r.created_at)}  last used {show_when(r.last_used_at) or 'never'}"
        + (f"  REVOKED {show_when(r.revoked_at)}" if r.revoked_at else "") + "  (UTC)"
        for r in rows
    ]
    return Result("\n".join(lines) or "No office tokens yet.", [admin.as_dict(r) for r in rows])


def _office_token_revoke(session: Session, args: argparse.Namespace) -> Result:
    info = office.revoke_token(session, args.token_id)
    return Result(f"Office token {info.id} ({info.name}) revoked at {show_when(info.revoked_at)} (UTC)", admin.as_dict(info))


def _local_setup(session: Session, args: argparse.Namespace) -> Result:
    """The embedded default: one local inspector who may offer assessments, and a fresh code."""
    local = next((i for i in admin.list_inspectors(session) if i.name == LOCAL_INSPECTOR), None)
    if local is None:
        local = admin.create_inspector(session, LOCAL_INSPECTOR, may_create_assessments=True)
    code, expires = admin.issue_code(session, local.id, hours=args.hours)
    data = {"inspector_id": local.id, "code": code, "expires_at": expires}
    return Result(f"Local inspector {local.id}; enrolment code {code} (until {expires})", data)


def _backup(settings: Settings, args: argparse.Namespace) -> Result:
    """Outside `_run_admin`: a backup reads the database as it is and a restore replaces it, so neither
    migrates it first (a restore brings a backup from before schema 0010 up to date after, to renew its instance id)."""
    info = backup.backup(settings, args.to)
    held = "attachments are in the object store: copy its bucket now (docs/deployment.md)" if settings.s3 else f"{info.attachments} attachment(s)"
    words = f"Backed up the {info.database} database and {held} to {info.folder}. The service key file, if any, is not in it: keep it apart."
    return Result(words, admin.as_dict(info))


def _restore(settings: Settings, args: argparse.Namespace) -> Result:
    info = backup.restore(settings, args.source)
    words = f"Restored the {info.database} database and {info.attachments} attachment(s) from the backup made {show_when(info.made_at)} (UTC); start the service again."
    return Result(words, admin.as_dict(info))


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds between 0 and 3600, such as 10 or 2.5")
    return seconds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldapp-server", description="The fieldapp central service.")
    parser.add_argument("--version", action="version", version=f"fieldapp-server {app_version()}")
    # Where the data is may be said before the command or after it (`serve --database-url …`):
    # the commands take the same options, set only when given there.
    where = argparse.ArgumentParser(add_help=False)
    for target, default in ((parser, None), (where, argparse.SUPPRESS)):
        target.add_argument("--data", type=Path, default=default, help=f"data folder (default {default_data_dir()})")
        target.add_argument("--database-url", default=default, help="e.g. postgresql+psycopg://user@host/db (default: SQLite in the data folder)")
        target.add_argument(
            "--key-file", type=Path, default=default, metavar="FILE",
            help=f"the service key that wraps evidence's data keys (default: {sealing.KEY_ENV}, else service.key in the data folder)",
        )  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service", parents=[where])
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--ssl-certfile", default=None)
    serve.add_argument("--ssl-keyfile", default=None)
    serve.add_argument("--max-connections", type=int, default=ConnectionLimits.max_connections, help="open connections per worker before 503 (default 1000)")
    serve.add_argument(
        "--head-deadline", type=_seconds, default=ConnectionLimits.head_deadline_s, metavar="SECONDS",
        help="a request's headers must arrive whole within this, however slowly they trickle (default 10)",
    )  # fmt: skip
    serve.add_argument(
        "--keep-alive", type=_seconds, default=ConnectionLimits.keep_alive_s, metavar="SECONDS",
        help="an idle connection after an answer is closed after this (default 5)",
    )  # fmt: skip
    serve.add_argument(
        "--trust-proxy", default=None, metavar="IPS",
        help="comma-separated addresses of a reverse proxy whose X-Forwarded-For/-Proto to believe (default: none)",
    )  # fmt: skip
    blob_store = (
        "where attachments live: folder (in the data folder), or s3://BUCKET, with FIELDAPP_S3_ENDPOINT, FIELDAPP_S3_ACCESS_KEY "
        "and FIELDAPP_S3_SECRET_KEY (FIELDAPP_S3_REGION, FIELDAPP_S3_PREFIX) in the environment (default: FIELDAPP_S3_BUCKET if set, else folder)"
    )
    serve.add_argument("--blob-store", default=None, metavar="WHERE", help=blob_store)
    serve.add_argument("--redis", default=None, metavar="URL", help=f"share rate limits between processes and hosts (or {REDIS_URL_ENV})")
    serve.add_argument(
        "--metrics-token-file", type=Path, default=None, metavar="FILE",
        help=f"turn /metrics on, for the bearer of the token in FILE (or {METRICS_TOKEN_FILE_ENV}; default: off)",
    )  # fmt: skip
    serve.add_argument("--log-to", default="file", choices=log_files.CHOICES, help="file: a file per process in the data folder's logs/; stderr: for the journal")

    commands.add_parser("migrate", help="bring the database's schema up to this release, saying what was done", parents=[where])
    sweep = commands.add_parser("sweep", help="remove part-uploads untouched past their expiry (run it from a timer)", parents=[where])
    sweep.add_argument("--blob-store", default=None, metavar="WHERE", help=blob_store)
    sweep.add_argument("--redis", default=None, metavar="URL", help=f"the service's Redis, so one process sweeps at a time (or {REDIS_URL_ENV})")

    admin_parser = commands.add_parser("admin", help="administer inspectors, assessments, teams, devices")
    admin_parser.add_argument("--json", action="store_true", help="print JSON instead of words")
    areas = admin_parser.add_subparsers(dest="area", required=True)

    def leaf(parent: Any, name: str, handler: Callable[[Session, argparse.Namespace], Result] | None, help_text: str) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help_text, parents=[where])
        sub.set_defaults(handler=handler)
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of words")
        return sub

    inspectors = areas.add_parser("inspector", help="inspectors").add_subparsers(dest="inspector_command", required=True)
    add = leaf(inspectors, "add", _inspector_add, "add an inspector")
    add.add_argument("name")
    add.add_argument("--email", default=None)
    add.add_argument("--may-create-assessments", action="store_true", help="may offer assessments made on a laptop")
    leaf(inspectors, "list", _inspector_list, "list inspectors")

    assessments = areas.add_parser("assessment", help="assessments").add_subparsers(dest="assessment_command", required=True)
    add = leaf(assessments, "add", _assessment_add, "add an assessment")
    add.add_argument("name")
    add.add_argument("--id", default=None, help="adopt an assessment made on a laptop: its id, as the app shows it")
    add.add_argument("--from", dest="start", type=_date, default=None, metavar="DATE", help="first day, e.g. 01/11/2026")
    add.add_argument("--to", dest="end", type=_date, default=None, metavar="DATE", help="last day, e.g. 30/11/2026")
    add.add_argument("--framework", default=None, metavar="KEY")
    add.add_argument("--allow-same-name", action="store_true", help="add it even if one of that name and those dates exists")
    change = leaf(assessments, "set", _assessment_set, "rename an assessment or set its period; laptops take it at their next sync")
    change.add_argument("assessment", metavar="ID")
    change.add_argument("--name", default=None)
    change.add_argument("--from", dest="start", type=_date, default=None, metavar="DATE", help="first day, e.g. 01/11/2026")
    change.add_argument("--to", dest="end", type=_date, default=None, metavar="DATE", help="last day, e.g. 30/11/2026")
    change.add_argument("--no-period", action="store_true", help="clear the period (with --from/--to: only those)")
    retention = leaf(assessments, "retention", _assessment_retention, "how long synced evidence stays on the team's laptops")
    retention.add_argument("assessment", metavar="ID")
    period = retention.add_mutually_exclusive_group(required=True)
    period.add_argument("--days", type=int, metavar="N", help="days after a record's last change, e.g. 90")
    period.add_argument("--off", action="store_true", help="keep evidence on the laptops (the default)")
    leaf(assessments, "list", _assessment_list, "list assessments")

    team = areas.add_parser("team", help="who is in an assessment's team").add_subparsers(dest="team_command", required=True)
    for name, help_text in (("add", "add an inspector"), ("remove", "remove an inspector"), ("lead", "make a member the one lead inspector"),
                            ("role", "set a member's role")):  # fmt: skip
        sub = leaf(team, name, _team, help_text)
        sub.add_argument("assessment")
        sub.add_argument("inspector")
        if name == "add":
            given = sub.add_mutually_exclusive_group()
            given.add_argument("--lead", action="store_true", help="as the lead inspector, who agrees judgements (moves it from another)")
            given.add_argument("--role", default=None, choices=ROLES, help="their role in the team (default: inspector)")
        if name == "role":
            sub.add_argument("role", choices=ROLES, help="lead moves the lead from another member")
    members = leaf(team, "list", _team_list, "who is in the team, their roles, and its lead")
    members.add_argument("assessment")

    code = leaf(areas, "code", _code, "a one-time enrolment code for an inspector's device")
    code.add_argument("inspector")
    code.add_argument("--hours", type=float, default=24.0)

    devices = areas.add_parser("device", help="enrolled devices").add_subparsers(dest="device_command", required=True)
    listing = leaf(devices, "list", _device_list, "list devices")
    listing.add_argument("--inspector", default=None)
    revoke = leaf(devices, "revoke", _device_revoke, "revoke a device's token")
    revoke.add_argument("device")

    framework = areas.add_parser("framework", help="framework versions").add_subparsers(dest="framework_command", required=True)
    publish = leaf(framework, "publish", _framework_publish, "publish a framework file to every device")
    publish.add_argument("file")

    concerns = areas.add_parser("concern", help="concerns raised on laptops: the office's list").add_subparsers(dest="concern_command", required=True)
    listing = leaf(concerns, "list", _concern_list, "open concerns across teams, most urgent first")
    listing.add_argument("--all", action="store_true", help="acknowledged ones too")
    show = leaf(concerns, "show", _concern_show, "one concern in full")
    show.add_argument("concern", metavar="ID")
    acknowledge = leaf(concerns, "acknowledge", _concern_acknowledge, "acknowledge a concern; its team's laptops learn it at their next sync")
    acknowledge.add_argument("concern", metavar="ID")
    acknowledge.add_argument("--note", required=True, help="what the office did or will do")
    acknowledge.add_argument("--by", default=None, help="who acknowledges it (default: the user running this)")

    audits = areas.add_parser("audit", help="the laptops' audit logs: unlocks, exports, restores").add_subparsers(dest="audit_command", required=True)
    listing = leaf(audits, "list", _audit_list, "audit entries, newest first")
    listing.add_argument("--device", default=None, metavar="ID", help="one device's only")
    listing.add_argument("--since", default=None, metavar="DATE", help="from this day on (UTC), e.g. 01/12/2026")

    tokens = areas.add_parser("office-token", help="tokens for the office's HTTP routes (its concern list)")
    token_commands = tokens.add_subparsers(dest="office_token_command", required=True)
    create = leaf(token_commands, "create", _office_token_create, "a new office token, printed once")
    create.add_argument("--name", required=True, help="who holds it, e.g. \"Safeguarding desk\"; acknowledges as this by default")
    leaf(token_commands, "list", _office_token_list, "office tokens: names, made, last used (never the token)")
    revoke_token = leaf(token_commands, "revoke", _office_token_revoke, "stop an office token at once")
    revoke_token.add_argument("token_id", metavar="ID")

    local = leaf(areas, "local-setup", _local_setup, "set up the embedded default: a local inspector and a code")
    local.add_argument("--hours", type=float, default=24.0)

    # Not leaves: these take the settings, not a session (see `_backup`).
    for name, copying, help_text in (("backup", _backup, "copy the database, then the attachments, into a new folder while the service runs"),
                                     ("restore", _restore, "put a backup in place of the service's data; stop the service first")):  # fmt: skip
        sub = areas.add_parser(name, help=help_text, parents=[where])
        sub.set_defaults(copying=copying)
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of words")
        if name == "backup":
            sub.add_argument("--to", type=Path, required=True, metavar="DIR")
        else:
            sub.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")
    keys = areas.add_parser("keys", help="the service key that wraps evidence's data keys").add_subparsers(dest="keys_command", required=True)
    rotate = leaf(keys, "rotate", None, "re-wrap every data key under a new service key (resumable; nothing is re-encrypted)")
    rotate.set_defaults(engine_handler=_keys_rotate)
    rotate.add_argument("--new-key-file", type=Path, required=True, metavar="FILE", help="the new service key (base64 of 32 bytes)")
    encrypt = leaf(keys, "encrypt-existing", None, "seal revisions, concerns and attachments stored before sealing began (resumable)")
    encrypt.set_defaults(engine_handler=_keys_encrypt_existing)
    encrypt.add_argument("--blob-store", default=None, metavar="WHERE", help=blob_store)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
