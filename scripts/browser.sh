#!/usr/bin/env bash
# Installs the browser the browser tests (tests/browser) drive: Debian's Chromium at
# /usr/bin/chromium. Playwright's own browser download cannot be reached from our machines, so
# Playwright (a dev extra) launches this one by path. Idempotent: nothing to do when it is there.
# Needs root (CI and our machines run as root) or sudo.
set -euo pipefail
browser=/usr/bin/chromium
[ -x "$browser" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser.sh: $browser is missing and there is no apt-get to install it" >&2
  exit 1
fi
run=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "browser.sh: installing chromium needs root" >&2; exit 1; }
  run=(sudo)
fi
echo "installing Debian's chromium"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { "${run[@]}" apt-get update -qq &&
  "${run[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } \
  >"$log" 2>&1; then
  cat "$log" >&2
  echo "browser.sh: apt-get could not install chromium" >&2
  exit 1
fi
[ -x "$browser" ] || { echo "browser.sh: chromium installed, but $browser is missing" >&2; exit 1; }
