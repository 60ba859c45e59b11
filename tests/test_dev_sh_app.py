"""`bash packaging/dev.sh app` with its local service, run as two users would on one computer (two
`HOME`s): each app is handed a code its own service knows. The app is a stand-in that records what
it was handed (FIELDAPP_APP_COMMAND) and waits; the services, the codes and the enrolling are real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sync_fixtures import free_port, new_device_identity
from vault_fixtures import PASSPHRASE, Template

from fieldapp.vault import Vault
from sync.client.enrolment import enrol

ROOT = Path(__file__).resolve().parents[1]
STAND_IN = """import json, os, sys, time
out = os.environ["STAND_IN_OUT"]
with open(out + ".tmp", "w") as f:
    json.dump(sys.argv[1:], f)
os.replace(out + ".tmp", out)
deadline = time.monotonic() + 120
while not os.path.exists(out + ".close") and time.monotonic() < deadline:
    time.sleep(0.05)
"""


@dataclass
class AppRun:
    """One `dev.sh app` as one user: the script, and what its stand-in app was handed."""

    process: subprocess.Popen[str]
    out: Path

    def handed(self) -> list[str]:
        deadline = time.monotonic() + 60
        while not self.out.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.fail(f"the app was never started; dev.sh said:\n{self.said()}")
            time.sleep(0.05)
        return json.loads(self.out.read_text())

    def service(self) -> tuple[str, str] | None:
        """(address, enrolment code) the app was handed, if any."""
        args = self.handed()
        if "--service" not in args:
            return None
        return args[args.index("--service") + 1], args[args.index("--enrol-code") + 1]

    def close(self) -> str:
        """Close the app; returns what dev.sh said on its way."""
        Path(str(self.out) + ".close").touch()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return self.said()

    def said(self) -> str:
        if self.process.poll() is None:
            return ""
        return self.process.stderr.read() if self.process.stderr else ""


@pytest.fixture
def dev_sh_app(tmp_path: Path) -> Iterator:
    stand_in = tmp_path / "stand_in_app.py"
    stand_in.write_text(STAND_IN)
    runs: list[AppRun] = []

    def start(user: str, port: int) -> AppRun:
        home = tmp_path / user
        home.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FIELDAPP_"))}
        env.update(
            HOME=str(home), FIELDAPP_SERVICE_PORT=str(port), FIELDAPP_APP_COMMAND=f"{sys.executable} {stand_in}",
            STAND_IN_OUT=str(tmp_path / f"{user}-{len(runs)}.json"),
        )  # fmt: skip
        process = subprocess.Popen(
            ["bash", str(ROOT / "packaging" / "dev.sh"), "app"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        runs.append(AppRun(process, Path(env["STAND_IN_OUT"])))
        return runs[-1]

    yield start
    for run in reversed(runs):
        run.close()


def _data(tmp_path: Path, user: str) -> Path:
    return tmp_path / user / ".local" / "share" / "fieldapp-server"


def _enrols(vault_template: Template, tmp_path: Path, url: str, code: str) -> str:
    """Enrol a real vault with the handed address and code; returns the inspector's name there."""
    import shutil

    path = tmp_path / f"vault-{code}"
    shutil.copytree(vault_template.path, path)
    vault = Vault.open(path, passphrase=PASSPHRASE)
    try:
        new_device_identity(vault)
        return enrol(vault, url, code).inspector_name
    finally:
        vault.lock()


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/v1/status", timeout=1).ok
    except requests.RequestException:
        return False


def test_a_second_user_gets_a_service_of_their_own_on_the_next_free_port_and_a_code_it_knows(
    dev_sh_app, tmp_path: Path, vault_template: Template  # noqa: ANN001
) -> None:
    port = free_port()
    first = dev_sh_app("amara", port)
    first_url, first_code = first.service() or pytest.fail("the first app was handed no service")
    assert first_url == f"http://127.0.0.1:{port}"

    second = dev_sh_app("ben", port)  # another HOME: another data folder, the same port asked for
    handed = second.service()

    assert handed is not None, second.close()
    second_url, second_code = handed
    assert second_url != first_url  # not the first user's service, which does not know this code
    assert _enrols(vault_template, tmp_path, second_url, second_code) == "Local inspector"
    assert _enrols(vault_template, tmp_path, first_url, first_code) == "Local inspector"
    assert (_data(tmp_path, "ben") / "port").read_text().strip() == second_url.rsplit(":", 1)[1]
    said = second.close()
    assert f"port {port} is taken by a fieldapp service started by another user" in said
    assert f"uses port {second_url.rsplit(':', 1)[1]} instead" in said
    assert not _answers(second_url)  # the service it started went with the app
    assert _answers(first_url)  # and the first user's is untouched
    first.close()
    assert not _answers(first_url)


def test_the_same_user_again_uses_their_service_already_running(dev_sh_app, tmp_path: Path, vault_template: Template) -> None:  # noqa: ANN001
    port = free_port()
    first = dev_sh_app("amara", port)
    first_url, _code = first.service() or pytest.fail("no service handed")
    again = dev_sh_app("amara", port)
    url, code = again.service() or pytest.fail("no service handed the second time")
    assert url == first_url
    assert _enrols(vault_template, tmp_path, url, code) == "Local inspector"
    again.close()
    assert _answers(first_url)  # it was not the second run's to stop


def test_when_the_port_remembered_is_held_by_another_users_service_the_app_runs_alone_and_says_why(
    dev_sh_app, tmp_path: Path  # noqa: ANN001
) -> None:
    port = free_port()
    first = dev_sh_app("amara", port)
    assert first.service() is not None
    data = _data(tmp_path, "ben")
    data.mkdir(parents=True)
    (data / "port").write_text(f"{port}\n")  # ben's service ran on this port before: his app is enrolled there

    second = dev_sh_app("ben", port)

    assert second.service() is None
    said = second.close()
    assert f"port {port} is taken by a fieldapp service started by another user" in said
    assert "the app runs without a local service" in said and "FIELDAPP_SERVICE_PORT" in said
