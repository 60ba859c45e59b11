#!/usr/bin/env bash
# One entry point for the README's two commands, from a fresh Debian machine with Python 3.11:
#   bash packaging/dev.sh app [ARGS...]    run the desktop app
#   bash packaging/dev.sh test [ARGS...]   run the whole test suite (pytest arguments pass through)
# It installs what is missing (python3-venv, Qt's system libraries), makes .venv in the repo,
# and installs the pinned dependencies only when pyproject.toml or the lock changed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
lock="$root/packaging/constraints.txt"
qt_libs=(libgl1 libegl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3 fonts-dejavu-core)

say() { printf 'fieldapp: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else say "need root to run: $*  (install it, or run this as root)"; exit 1
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { say "missing system packages: ${missing[*]} (no apt-get here; install them yourself)"; return 0; }
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || { say "Python 3.11 or newer is needed ($python not found)"; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "Python 3.11 or newer is needed"; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt_install "python3-venv"
  fi
  say "creating $venv"
  "$python" -m venv "$venv"
fi
command -v dpkg-query >/dev/null 2>&1 && apt_install "${qt_libs[@]}"

stamp="$venv/.fieldapp-installed"
want=$(cat "$root/pyproject.toml" "$lock" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing dependencies (pinned in packaging/constraints.txt)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -c "$lock" -e "$root[test]"
  echo "$want" >"$stamp"
fi

cd "$root"
case "${1:-}" in
  test) shift; QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} exec "$venv/bin/python" -m pytest "$@" ;;
  app) shift; exec "$venv/bin/python" -m ui "$@" ;;
  *) sed -n '2,6p' "$0"; exit 2 ;;
esac
