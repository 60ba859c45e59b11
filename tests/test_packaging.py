"""The Linux desktop files the bundle carries (packaging/linux/): they name this version and each
other, and pass the desktop's own validators where those are installed."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fieldapp.version import app_version

LINUX = Path(__file__).resolve().parents[1] / "packaging" / "linux"
DESKTOP = LINUX / "fieldapp.desktop"
METAINFO = LINUX / "uk.org.fieldapp.FieldApp.metainfo.xml"


def test_the_appstream_metadata_has_a_release_for_this_version_and_launches_the_desktop_entry() -> None:
    component = ET.parse(METAINFO).getroot()
    assert app_version() in [release.get("version") for release in component.iter("release")]
    assert [launchable.text for launchable in component.iter("launchable")] == [DESKTOP.name]


def test_the_desktop_entry_starts_fieldapp_with_its_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(DESKTOP, encoding="utf-8")
    assert (entry["Desktop Entry"]["Exec"], entry["Desktop Entry"]["Icon"]) == ("fieldapp", "fieldapp")


@pytest.mark.parametrize(("tool", "args", "path"), [
    ("desktop-file-validate", [], DESKTOP),
    ("appstreamcli", ["validate", "--no-net"], METAINFO),
])  # fmt: skip
def test_the_desktop_files_pass_their_validators(tool: str, args: list[str], path: Path) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian: desktop-file-utils, appstream)")
    done = subprocess.run([tool, *args, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
