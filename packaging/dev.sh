#!/usr/bin/env bash
# One entry point for the README's two commands, from a fresh Debian 12 machine with Python 3.11:
#   bash packaging/dev.sh app [ARGS...]    run the desktop app (python -m ui ARGS...), with a local central service
#   bash packaging/dev.sh test [ARGS...]   run the whole test suite on every core (pytest arguments pass through)
#   bash packaging/dev.sh bundle           build the installable app: dist/fieldapp/ and its archive (packaging/README.md)
# It installs what is missing (python3-venv, Qt's system libraries), makes .venv in the repo,
# and installs the project with the pinned dependencies only when pyproject.toml or the lock changed.
# Works from any directory. PYTHON=/path/to/python3.11 chooses the interpreter for a new .venv.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
lock="$root/packaging/constraints.txt"
stamp="$venv/.fieldapp-installed"   # sha256 of pyproject.toml + the lock (+ extras beyond test) at the last good install
qt_libs=(libgl1 libegl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3 fonts-dejavu-core)
# What Qt's xcb plugin loads to open a window on a real X11 (or XWayland) desktop: the app only.
qt_display_libs=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
  libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1)

say() { printf 'fieldapp: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

command_name=${1:-}
case "$command_name" in
  app | test | bundle) shift ;;
  -h | --help | help) usage ;;
  "") say "say what to do: app, test or bundle"; usage ;;
  *) say "unknown command: $command_name"; usage ;;
esac
extras=test
[ "$command_name" = bundle ] && extras=test,bundle  # PyInstaller only where a bundle is built

# -- system packages ------------------------------------------------------------------------------

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    say "asking sudo for: $*"
    sudo "$@"
  else
    die "this needs root, and sudo is not installed; as root, run: $*"
  fi
}

missing_debs() {  # prints the packages among "$@" that dpkg does not have installed
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null | awk '$2 == "installed" {print $1}' || true)
  for pkg in "$@"; do
    grep -qxF "$pkg" <<<"$installed" || printf '%s\n' "$pkg"
  done
}

apt_install() {  # installs whichever of "$@" are missing; says what and why
  local why=$1; shift
  local missing
  mapfile -t missing < <(missing_debs "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "$why needs these Debian packages, and apt-get is not here: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    die "$why needs Debian packages that are missing; as root, run: apt-get install ${missing[*]}"
  fi
  say "installing ${missing[*]} ($why)"
  as_root apt-get update -qq >/dev/null || die "apt-get update failed (network? apt sources?)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# -- the virtual environment ----------------------------------------------------------------------

make_venv() {
  local python=${PYTHON:-python3}
  command -v "$python" >/dev/null 2>&1 || die "Python 3.11 or newer is needed: '$python' is not on PATH (apt-get install python3)"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "Python 3.11 or newer is needed: $("$python" --version 2>&1) found (set PYTHON=/path/to/python3.11)"
  # Debian's Python has no ensurepip, so no working `python3 -m venv`, until python3-venv is installed.
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    command -v dpkg-query >/dev/null 2>&1 || die "$python cannot make a virtual environment (no ensurepip); install its venv module"
    local minor
    minor=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt_install "python -m venv" python3-venv "python$minor-venv"
  fi
  say "creating $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv" >/dev/null || { rm -rf "$venv"; die "'$python -m venv $venv' failed"; }
}

venv_ready() { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c '' >/dev/null 2>&1 && [ -e "$venv/bin/pip" ]; }
hash_for() { { cat "$root/pyproject.toml" "$lock"; [ "$1" = test ] || printf '%s' "$1"; } | sha256sum | cut -d' ' -f1; }
installed() {  # a bundle's install has the test extra too, so it serves app and test as well
  [ -f "$stamp" ] || return 1
  local have; have=$(cat "$stamp")
  [ "$have" = "$(hash_for "$extras")" ] || { [ "$extras" = test ] && [ "$have" = "$(hash_for test,bundle)" ]; }
}

setup() {
  if ! venv_ready; then
    make_venv
  fi
  if ! installed; then
    say "installing fieldapp and its dependencies into .venv (pinned by packaging/constraints.txt)"
    rm -f "$stamp"
    local started=$SECONDS
    local log="$venv/pip-install.log"
    if ! (cd "$root" && "$venv/bin/python" -m pip install --disable-pip-version-check -c "$lock" -e ".[$extras]") >"$log" 2>&1; then
      tail -n 25 "$log" >&2
      die "pip install failed: the last lines are above, all of it is in $log"
    fi
    hash_for "$extras" >"$stamp"
    say "installed in $((SECONDS - started)) s"
  fi
}

if command -v dpkg-query >/dev/null 2>&1; then
  apt_install "Qt offscreen" "${qt_libs[@]}"
  # A bundle carries them to desktops that lack them (PyInstaller copies what it finds here).
  if { [ "$command_name" = app ] && [ -z "${FIELDAPP_APP_COMMAND:-}" ]; } || [ "$command_name" = bundle ]; then
    apt_install "Qt on a desktop" "${qt_display_libs[@]}"
  fi
fi
if ! venv_ready || ! installed; then
  # Two runs at once (a terminal and an editor, say) must not install over each other.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${TMPDIR:-/tmp}/fieldapp-setup-$(printf '%s' "$root" | sha256sum | cut -c1-16).lock"
    flock 9
  fi
  setup  # checks again under the lock: the other run may have done it all
  exec 9>&-
fi

# -- run ------------------------------------------------------------------------------------------

# The embedded default: the app, and a central service on this computer (SQLite in its data folder),
# so sync works out of the box. The app enrols with it once, with a one-time code made here.
# FIELDAPP_SERVICE=off runs the app alone; FIELDAPP_SERVICE_PORT and FIELDAPP_SERVICE_DATA move it.
# Each user's service keeps one port, remembered in its data folder (the app's vault is enrolled at
# that address): 8765 unless that was taken the first time, when it is the next free one.
# FIELDAPP_APP_COMMAND runs another command instead of the app (the tests' stand-in; no desktop needed).
run_app() {
  local py=("$venv/bin/python" -P)  # -P: a stray ./ui or ./sync where you stand never shadows ours
  local service_args=()
  service_pid=""  # global: the EXIT trap reads it after this function has returned
  if [ "${FIELDAPP_SERVICE:-on}" != off ]; then
    local data=${FIELDAPP_SERVICE_DATA:-$("${py[@]}" -c 'from sync.server.settings import default_data_dir; print(default_data_dir())')}
    local remembered=""
    [ -f "$data/port" ] && remembered=$(tr -cd '0-9' <"$data/port")
    local port=${FIELDAPP_SERVICE_PORT:-${remembered:-8765}}
    local url="http://127.0.0.1:$port"
    local holder
    holder=$(service_holder "$port" "$data")
    if [ "$holder" != ours ] && [ "$holder" != nobody ]; then
      local what="something that is not fieldapp's service"
      [ "$holder" = other ] && what="a fieldapp service started by another user (or with another HOME), which does not hold your data"
      if [ -z "$remembered" ] && port=$(free_port_after "$port" "$data"); then
        # Never started before: nothing is enrolled at that address yet, so another port does no harm.
        say "port ${url##*:} is taken by $what; your local service uses port $port instead, from now on (remembered in $data/port)"
        url="http://127.0.0.1:$port"
        holder=nobody
      else
        say "port ${url##*:} is taken by $what: the app runs without a local service. Stop that, or choose a free port with FIELDAPP_SERVICE_PORT (for example FIELDAPP_SERVICE_PORT=$((${url##*:} + 1)) bash packaging/dev.sh app)"
        url=""
      fi
    fi
    if [ "$holder" = nobody ]; then
      mkdir -p "$data"
      "${py[@]}" -m sync.server --data "$data" serve --port "$port" >>"$data/service.log" 2>&1 &
      service_pid=$!
      # However this script ends (the app closed, Ctrl+C, the terminal gone), the service it
      # started goes with it.
      trap 'kill "$service_pid" 2>/dev/null || true' EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM HUP
      for _ in $(seq 100); do [ "$(service_holder "$port" "$data")" = ours ] && break; sleep 0.1; done
      if [ "$(service_holder "$port" "$data")" = ours ]; then
        printf '%s\n' "$port" >"$data/port"
        say "local central service on $url (data in $data)"
      else
        say "the local service did not start (see $data/service.log): the app runs without it"
        kill "$service_pid" 2>/dev/null; service_pid="" url=""
      fi
    fi
    if [ -n "$url" ]; then
      local code
      code=$("${py[@]}" -m sync.server --data "$data" admin --json local-setup | "${py[@]}" -c 'import json, sys; print(json.load(sys.stdin)["code"])') \
        && service_args=(--service "$url" --enrol-code "$code")
    fi
  fi
  # Stays where you are, so `--vault ./here` means here.
  local app=("${py[@]}" -m ui)
  [ -n "${FIELDAPP_APP_COMMAND:-}" ] && read -r -a app <<<"$FIELDAPP_APP_COMMAND"
  local status=0
  "${app[@]}" "${service_args[@]+"${service_args[@]}"}" "$@" || status=$?
  if [ -n "$service_pid" ]; then
    # wait answers with the service's own exit status (143 after the TERM): not ours to return.
    { kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null; } || true
    trap - EXIT
  fi
  return "$status"
}

service_holder() {  # PORT DATA: who listens on 127.0.0.1:PORT: ours (a fieldapp service on DATA), other (one on other data), foreign, or nobody
  "$venv/bin/python" -P -c 'import contextlib, json, pathlib, socket, sqlite3, sys, urllib.request
port, data = sys.argv[1], pathlib.Path(sys.argv[2])
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/status", timeout=1) as answer:
        fieldapp = json.load(answer).get("service") == "fieldapp"
        instance = answer.headers.get("Fieldapp-Instance", "")
except Exception:
    fieldapp = instance = None
if fieldapp:
    # The id kept in the database of the data folder, opened read-only; a service from before it
    # was kept there has it in the instance-id file of the folder.
    database = data.resolve() / "service.db"
    try:
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
            mine = (db.execute("SELECT instance_id FROM service_instance").fetchone() or [""])[0]
    except sqlite3.Error:
        mine = ""
    if not mine:
        try:
            mine = (data / "instance-id").read_text(encoding="ascii").strip()
        except OSError:
            mine = ""
    print("ours" if instance and instance == mine else "other")
    sys.exit()
# SO_REUSEADDR: a service stopped a moment ago leaves TIME-WAIT sockets on the port, which
# do not stop a new service listening there (uvicorn sets it too), so they must not count here.
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(port)))
except OSError:
    print("foreign")
else:
    print("nobody")' "$1" "$2"
}

free_port_after() {  # PORT DATA: prints the first of the next 50 ports that nobody holds
  local candidate
  for candidate in $(seq $(($1 + 1)) $(($1 + 50))); do
    if [ "$(service_holder "$candidate" "$2")" = nobody ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

case "$command_name" in
  test)
    # pytest runs from the repo root (its settings and testpaths live there); paths given relative
    # to where you stand are made absolute first, so `dev.sh test test_x.py` works from tests/.
    args=()
    for arg in "$@"; do
      path=${arg%%::*}
      if [[ $PWD != "$root" && $arg != -* && $path != /* && -n $path && -e $path ]]; then
        arg="$(cd "$(dirname "$path")" && pwd)/$(basename "$path")${arg:${#path}}"
      fi
      args+=("$arg")
    done
    cd "$root"
    export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
    # On every core (pytest-xdist): PostgreSQL tests stay together on one worker (tests/conftest.py),
    # since a transaction open in one would hold back what another's pull may read. Say -n 0, or
    # FIELDAPP_TEST_WORKERS=0, for one process (a debugger, -x, a single test).
    workers=${FIELDAPP_TEST_WORKERS:-auto}
    for arg in "${args[@]+"${args[@]}"}"; do
      case "$arg" in -n | -n* | --numprocesses* | --co | --collect-only | --pdb | --trace) workers=0 ;; esac
    done
    [ "$workers" != 0 ] && args=(-n "$workers" --dist loadgroup "${args[@]+"${args[@]}"}")
    exec "$venv/bin/python" -m pytest "${args[@]+"${args[@]}"}"
    ;;
  app)
    run_app "$@"
    ;;
  bundle)
    # PyInstaller on packaging/fieldapp.spec, then the Linux desktop files and the archive.
    exec "$venv/bin/python" -P "$root/packaging/bundle.py"
    ;;
esac
