"""`fieldapp-server admin …` as an administrator types it: inspectors, assessments and teams, one-time
codes that expire, devices listed and revoked; words for a person, JSON with --json, and errors
that say what to do (exit 1, nothing changed). On SQLite and on PostgreSQL; codes and revocation
are checked against the real service on 127.0.0.1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from sync_fixtures import BACKENDS, PROTOCOL_HEADERS, Service, api_url, enrol_body, postgres_schema, running_service

from sync import protocol
from sync.server.cli import main

Admin = Callable[..., tuple[int, str, str]]
_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=BACKENDS)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The global options that name the service's data: a folder (SQLite, which migrates itself) or a
    PostgreSQL schema, migrated first as its administrator would."""
    if request.param == "sqlite":
        yield ["--data", str(tmp_path / "service")]
    else:
        with postgres_schema() as url:
            assert main(["--data", str(tmp_path / "service"), "--database-url", url, "migrate"]) == 0
            yield ["--data", str(tmp_path / "service"), "--database-url", url]


@pytest.fixture
def admin(where: list[str], capsys: pytest.CaptureFixture[str]) -> Admin:
    def run(*args: str) -> tuple[int, str, str]:
        code = main([*where, "admin", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def data(admin: Admin, *args: str) -> dict | list:
    code, out, err = admin("--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_an_assessment_and_its_team_are_set_up_in_words_a_person_can_read(admin: Admin) -> None:
    code, out, _ = admin("inspector", "add", "Amara Okafor", "--email", "amara@example.org")
    assert code == 0 and out.startswith("Inspector Amara Okafor: ")
    amara = out.split(": ", 1)[1].strip()
    code, out, _ = admin("assessment", "add", "Northshire ICS", "--from", "2026-11-01", "--to", "2026-11-30")
    assert code == 0 and out.startswith("Assessment Northshire ICS: ") and "(cqc-ics@" in out
    northshire = out.split(": ", 1)[1].split()[0]
    assert admin("team", "add", northshire, amara)[1].strip() == "Northshire ICS: 1 in the team"

    _, listing, _ = admin("assessment", "list")
    assert listing.strip() == f"{northshire}  Northshire ICS  01/11/2026 – 30/11/2026  team: 1"  # day-first, as the app; --json keeps ISO
    _, inspectors, _ = admin("inspector", "list")
    assert inspectors.strip() == f"{amara}  Amara Okafor"
    assert admin("team", "remove", northshire, amara)[1].strip() == "Northshire ICS: 0 in the team"


def test_json_output_carries_the_ids_for_scripts(admin: Admin) -> None:
    inspector = data(admin, "inspector", "add", "Ben Adeyemi", "--may-create-assessments")
    assert inspector["name"] == "Ben Adeyemi" and inspector["may_create_assessments"] is True
    assessment = data(admin, "assessment", "add", "Eastshire ICS")
    team = data(admin, "team", "add", assessment["id"], inspector["id"])
    assert team["id"] == assessment["id"] and team["team"] == [inspector["id"]]
    assert [a["id"] for a in data(admin, "assessment", "list")] == [assessment["id"]]  # type: ignore[index]
    code = data(admin, "code", inspector["id"], "--hours", "2")
    assert set(code) == {"code", "expires_at"} and len(code["code"]) >= 12  # type: ignore[arg-type]
    assert data(admin, "device", "list") == []


def test_the_same_assessment_typed_twice_is_refused_unless_asked_for(admin: Admin) -> None:
    first = data(admin, "assessment", "add", "Northshire ICS", "--from", "2026-11-01", "--to", "2026-11-30")
    code, out, err = admin("assessment", "add", "northshire  ics", "--from", "2026-11-01", "--to", "2026-11-30")
    assert code == 1 and out == ""
    assert first["id"] in err and "--allow-same-name" in err  # type: ignore[index]
    assert len(data(admin, "assessment", "list")) == 1
    # Another period is another assessment; and a second of the same is possible when meant.
    assert admin("assessment", "add", "Northshire ICS", "--from", "2027-05-01", "--to", "2027-05-31")[0] == 0
    assert admin("assessment", "add", "Northshire ICS", "--from", "2026-11-01", "--to", "2026-11-30", "--allow-same-name")[0] == 0
    assert len(data(admin, "assessment", "list")) == 3


def test_an_assessments_period_and_name_are_set_later_written_day_first(admin: Admin) -> None:
    made = data(admin, "assessment", "add", "Northshire ICS")
    code, out, err = admin("assessment", "set", made["id"], "--from", "01/11/2026", "--to", "30/11/2026")  # type: ignore[index]
    assert code == 0, err
    assert out.strip() == f"Assessment Northshire ICS: {made['id']}, period 01/11/2026 – 30/11/2026; laptops take it at their next sync"  # type: ignore[index]
    renamed = data(admin, "assessment", "set", made["id"], "--name", "North Shire ICS", "--to", "2026-12-04")  # type: ignore[index]
    assert (renamed["name"], renamed["period_start"], renamed["period_end"]) == ("North Shire ICS", "2026-11-01", "2026-12-04")  # type: ignore[index]
    cleared = data(admin, "assessment", "set", made["id"], "--no-period")  # type: ignore[index]
    assert (cleared["period_start"], cleared["period_end"]) == (None, None)  # type: ignore[index]
    dated = data(admin, "assessment", "add", "Eastshire ICS", "--from", "2/3/2027", "--to", "31/03/2027")
    assert (dated["period_start"], dated["period_end"]) == ("2027-03-02", "2027-03-31")  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["team", "add", "0190b2c4-0000-7000-8000-000000000000", "0190b2c4-0000-7000-8000-000000000001"], "No assessment"),
        (["code", "0190b2c4-0000-7000-8000-000000000001"], "No inspector"),
        (["device", "revoke", "0190b2c4-0000-7000-8000-000000000002"], "No device"),
        (["assessment", "add", "Westshire ICS", "--from", "2026-13-01"], "2026-13-01"),
        (["assessment", "add", "Westshire ICS", "--from", "2026-11-30", "--to", "2026-11-01"], "before"),
        (["assessment", "add", "   "], "name"),
        (["assessment", "add", "Westshire ICS", "--framework", "nonsense@9"], "nonsense@9"),
        (["assessment", "add", "Westshire ICS", "--id", "not-an-id"], "not an assessment id"),
        (["inspector", "add", ""], "name"),
        (["assessment", "set", "0190b2c4-0000-7000-8000-000000000000", "--name", "Westshire ICS"], "No assessment"),
        (["assessment", "set", "0190b2c4-0000-7000-8000-000000000000"], "--from"),
        (["assessment", "add", "Westshire ICS", "--from", "31/02/2026"], "31/02/2026"),
    ],
)
def test_a_mistake_is_an_error_in_words_with_exit_1_and_changes_nothing(admin: Admin, args: list[str], words: str) -> None:
    before = (data(admin, "assessment", "list"), data(admin, "inspector", "list"))
    code, out, err = admin(*args)
    assert (code, out) == (1, "")
    assert err.startswith("fieldapp-server: ") and words in err and "Traceback" not in err
    assert (data(admin, "assessment", "list"), data(admin, "inspector", "list")) == before


def test_a_code_works_once_and_a_revoked_device_is_shut_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_service(tmp_path / "service") as service:
        def admin(*args: str) -> dict | list:
            assert main(["--data", str(service.settings.data_dir), "admin", "--json", *args]) == 0
            return json.loads(capsys.readouterr().out)

        inspector = admin("inspector", "add", "Amara Okafor")["id"]  # type: ignore[index]
        assessment = admin("assessment", "add", "Northshire ICS")["id"]  # type: ignore[index]
        admin("team", "add", assessment, inspector)
        code = admin("code", inspector)["code"]  # type: ignore[index]
        first = _enrol(service, code, "laptop A")
        assert first.status_code == 200, first.text
        again = _enrol(service, code, "laptop B")
        assert (again.status_code, again.json()["code"]) == (422, protocol.E_ENROLMENT_CODE)

        devices = admin("device", "list", "--inspector", inspector)
        assert [(d["label"], d["revoked_at"]) for d in devices] == [("laptop A", None)]  # type: ignore[index]
        token = first.json()["token"]
        assert _pull(service, token).status_code == 200
        revoked = admin("device", "revoke", devices[0]["id"])  # type: ignore[index]
        assert revoked["revoked_at"]  # type: ignore[index]
        assert _pull(service, token).status_code == 401
        assert main(["--data", str(service.settings.data_dir), "admin", "device", "list"]) == 0
        listed = capsys.readouterr().out
        assert re.search(r"  enrolled on \d\d/\d\d/\d{4} at \d\d:\d\d \(UTC\)  REVOKED on \d\d/\d\d/\d{4} at \d\d:\d\d \(UTC\)$", listed, re.M), listed


def test_an_expired_code_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_service(tmp_path / "service") as service:
        where = ["--data", str(service.settings.data_dir), "admin", "--json"]
        assert main([*where, "inspector", "add", "Amara Okafor"]) == 0
        inspector = json.loads(capsys.readouterr().out)["id"]
        assert main([*where, "code", inspector, "--hours", "0.0003"]) == 0  # about a second
        code = json.loads(capsys.readouterr().out)["code"]
        time.sleep(1.5)
        answer = _enrol(service, code, "late laptop")
        assert (answer.status_code, answer.json()["code"]) == (422, protocol.E_ENROLMENT_CODE)


def test_the_installed_command_runs_as_a_program(tmp_path: Path) -> None:
    """`python -m sync.server` (what the fieldapp-server script calls): exit codes and streams."""
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "sync.server", "--data", str(tmp_path / "service"), "admin", *args],
        cwd=_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    made = run("inspector", "add", "Amara Okafor")
    assert made.returncode == 0 and made.stdout.startswith("Inspector Amara Okafor: ") and made.stderr == ""
    wrong = run("code", "nobody")
    assert wrong.returncode == 1 and wrong.stdout == "" and wrong.stderr.startswith("fieldapp-server: ")


def _enrol(service: Service, code: str, label: str) -> requests.Response:
    return requests.post(api_url(service, "/enrol"), json=enrol_body(code, label=label), headers=PROTOCOL_HEADERS, timeout=30)


def _pull(service: Service, token: str) -> requests.Response:
    headers = {**PROTOCOL_HEADERS, "Authorization": f"Bearer {token}"}
    return requests.post(api_url(service, "/pull"), json={"cursor": None, "limit": 10}, headers=headers, timeout=30)


def test_where_the_data_is_may_be_said_after_the_command_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = str(tmp_path / "service")
    assert main(["admin", "inspector", "add", "Amara Okafor", "--data", data_dir]) == 0
    capsys.readouterr()
    assert main(["--data", data_dir, "admin", "--json", "inspector", "list"]) == 0
    assert [i["name"] for i in json.loads(capsys.readouterr().out)] == ["Amara Okafor"]
    assert main(["admin", "inspector", "list", "--data", str(tmp_path / "elsewhere")]) == 0
    assert capsys.readouterr().out.strip() == "No inspectors yet."


def test_one_lead_inspector_per_assessment_shown_in_the_team_and_moved_by_naming_another(admin: Admin) -> None:
    amara = data(admin, "inspector", "add", "Amara Okafor")["id"]
    ben = data(admin, "inspector", "add", "Ben Hughes")["id"]
    northshire = data(admin, "assessment", "add", "Northshire ICS")["id"]
    assert admin("team", "add", northshire, amara, "--lead")[1].strip() == "Northshire ICS: 1 in the team, led by Amara Okafor"
    assert admin("team", "add", northshire, ben)[1].strip() == "Northshire ICS: 2 in the team, led by Amara Okafor"
    _, listing, _ = admin("team", "list", northshire)
    assert listing.strip().splitlines() == [f"{amara}  Amara Okafor  (Lead inspector)", f"{ben}  Ben Hughes  (Inspector)"]
    _, assessments, _ = admin("assessment", "list")
    assert assessments.strip().endswith("team: 2, lead Amara Okafor")

    moved = data(admin, "team", "lead", northshire, ben)
    assert moved["lead"] == ben and moved["lead_name"] == "Ben Hughes"
    assert [m["role"] for m in data(admin, "team", "list", northshire)] == ["inspector", "lead"]  # Amara, Ben by name

    code, out, err = admin("team", "lead", northshire, "0190b2c4-0000-7000-8000-000000000001")
    assert code == 1 and out == "" and "is not in the team of Northshire ICS" in err
    assert admin("team", "remove", northshire, ben)[1].strip() == "Northshire ICS: 1 in the team"  # no lead now


def test_an_installation_without_its_framework_data_says_so_in_words_not_a_traceback(
    admin: Admin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from fieldapp import framework

    monkeypatch.setattr(framework, "RESOURCES_DIR", tmp_path / "an-incomplete-installation")
    framework.available_frameworks.cache_clear()
    try:
        code, _out, err = admin("assessment", "add", "Northshire ICS", "--from", "01/11/2026", "--to", "30/11/2026")
    finally:
        framework.available_frameworks.cache_clear()
    assert code == 1
    assert "No framework data in" in err and "the installation is incomplete" in err and "Traceback" not in err
