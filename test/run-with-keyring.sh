#!/bin/sh
# Runs "$@" with a real, unlocked gnome-keyring on a private D-Bus session bus (the headless recipe of
# shared/ENVIRONMENT.md), so keychain tests never touch the user's own keyring. Exits with the command's status.
#   bash test/run-with-keyring.sh npx vitest run test/integration/keychain.test.ts
# Needs (Debian/Ubuntu): apt install gnome-keyring dbus libsecret-tools
set -u

if [ $# -eq 0 ]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "run-with-keyring: $tool not found; install it: apt install gnome-keyring dbus libsecret-tools" >&2
    exit 127
  }
done

# Keyring files live under $HOME/.local/share/keyrings: use a fresh, private HOME.
KEYRING_HOME=$(mktemp -d "${TMPDIR:-/tmp}/coinpit-keyring.XXXXXX") || exit 1
trap 'rm -rf "$KEYRING_HOME"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export HOME="$KEYRING_HOME"
export XDG_DATA_HOME="$KEYRING_HOME/.local/share"
export XDG_RUNTIME_DIR="$KEYRING_HOME/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export COINPIT_KEYRING=1

dbus-run-session -- sh -c '
  # echo gives a newline (a non-empty password), so the daemon creates an unlocked "login" collection.
  echo "ci-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null || {
    echo "run-with-keyring: gnome-keyring-daemon --unlock failed" >&2; exit 1; }
  i=0; KPID=
  while [ $i -lt 50 ]; do
    KPID=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk "{print \$2}")
    [ -n "$KPID" ] && break
    i=$((i+1)); sleep 0.1
  done
  [ -n "$KPID" ] || { echo "run-with-keyring: secret service did not appear on the bus" >&2; exit 1; }
  # The daemon can outlive the bus: kill it by pid on every way out.
  trap "kill \"$KPID\" 2>/dev/null" EXIT
  trap "exit 130" INT
  trap "exit 143" TERM
  "$@"
' run-with-keyring "$@"
