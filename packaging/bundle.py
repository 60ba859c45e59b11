"""Build the installable app (`bash packaging/dev.sh bundle`): the icons rendered from
resources/icons/app.svg, PyInstaller on packaging/fieldapp.spec into dist/fieldapp/, on Linux the
desktop entry, icons and AppStream metadata beside it, and an archive of the whole folder."""

from __future__ import annotations

import os
import platform
import shutil
import struct
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
ICONS = BUILD / "icons"
DIST = ROOT / "dist"
LINUX = ROOT / "packaging" / "linux"
METAINFO = LINUX / "uk.org.fieldapp.FieldApp.metainfo.xml"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple's PNG icon types by pixel size (https://en.wikipedia.org/wiki/Apple_Icon_Image_format).
ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512), (b"ic10", 1024))


class BundleFailed(Exception):
    """A step of the build that cannot go on; the message says what to do."""


def main() -> int:
    started = time.monotonic()
    try:
        from fieldapp.version import app_version

        version = app_version()
        _check_metainfo(version)
        pngs = render_icons(sorted({*HICOLOR_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)}))
        write_ico(ICONS / "fieldapp.ico", [pngs[size] for size in ICO_SIZES])
        write_icns(ICONS / "fieldapp.icns", [(kind, pngs[size]) for kind, size in ICNS_TYPES])
        run_pyinstaller()
        folder = DIST / "fieldapp"
        if sys.platform.startswith("linux"):
            add_linux_desktop_files(folder, pngs)
        archive = make_archive(folder, version)
    except BundleFailed as exc:
        print(f"bundle: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"bundle: {folder} ({_mib(_size(folder))} MiB), {archive.name} ({_mib(archive.stat().st_size)} MiB), "
          f"built in {time.monotonic() - started:.0f} s")
    return 0


def _check_metainfo(version: str) -> None:
    if f'<release version="{version}"' not in METAINFO.read_text(encoding="utf-8"):
        raise BundleFailed(f'{METAINFO.relative_to(ROOT)} has no <release version="{version}" date="YYYY-MM-DD"/>: add one for this version')


def render_icons(sizes: list[int]) -> dict[int, bytes]:
    """The app's SVG icon as PNG bytes at each size, and the Linux sizes saved in hicolor's layout."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "app.svg"))
    if not renderer.isValid():
        raise BundleFailed("resources/icons/app.svg could not be read as SVG")
    pngs: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        pngs[size] = bytes(buffer.data())
    for size in HICOLOR_SIZES:
        target = ICONS / "hicolor" / f"{size}x{size}" / "apps" / "fieldapp.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
    return pngs


def write_ico(path: Path, pngs: list[bytes]) -> None:
    """A Windows .ico of PNG images (Windows Vista and later read PNG entries)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, images = b"", b""
    for png in pngs:
        width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR
        entries += struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), offset + len(images))
        images += png
    path.write_bytes(header + entries + images)


def write_icns(path: Path, typed_pngs: list[tuple[bytes, bytes]]) -> None:
    """A macOS .icns of PNG images."""
    body = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in typed_pngs)
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def run_pyinstaller() -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"), str(ROOT / "packaging" / "fieldapp.spec")]
    if subprocess.run(command, cwd=ROOT).returncode != 0:
        raise BundleFailed("PyInstaller failed: its messages are above")


def add_linux_desktop_files(folder: Path, pngs: dict[int, bytes]) -> None:
    """share/ in the layout of /usr/local/share, so an install copies it as it is (packaging/README.md)."""
    share = folder / "share"
    shutil.rmtree(share, ignore_errors=True)
    (share / "applications").mkdir(parents=True)
    shutil.copy2(LINUX / "fieldapp.desktop", share / "applications" / "fieldapp.desktop")
    (share / "metainfo").mkdir()
    shutil.copy2(METAINFO, share / "metainfo" / METAINFO.name)
    for size in HICOLOR_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "fieldapp.png"
        target.parent.mkdir(parents=True)
        target.write_bytes(pngs[size])


def make_archive(folder: Path, version: str) -> Path:
    """dist/fieldapp-VERSION-SYSTEM-MACHINE.tar.gz (a .zip on Windows), the folder as fieldapp/ inside."""
    name = f"fieldapp-{version}-{platform.system().lower()}-{platform.machine().lower()}"
    if sys.platform == "win32":
        return Path(shutil.make_archive(str(DIST / name), "zip", DIST, folder.name))
    archive = DIST / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def _size(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f}"


if __name__ == "__main__":
    raise SystemExit(main())
