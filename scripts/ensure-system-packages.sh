#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (headless Chromium for the browser tests; Pango, HarfBuzz
# and a font for WeasyPrint's PDF reports; poppler-utils for the tests that read those PDFs), when we may
# (root or passwordless sudo); otherwise stops with the exact command to run.
set -euo pipefail

# Debian's chromium-headless-shell (the headless build of the same Chromium) runs the browser tests with well under
# half the CPU (tests/browser/conftest.py takes it when it is there). It is asked for on its own and is not
# required: where it cannot be installed, the tests use the chromium package, and a mark in the virtualenv keeps
# later runs from asking the package sources again (delete .venv/.no-headless-shell to try once more).
unavailable="$(dirname "$0")/../.venv/.no-headless-shell"
headless_shell() {
  command -v chromium-headless-shell >/dev/null 2>&1 && return 0
  [ -e "$unavailable" ] && return 0
  local as=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || return 0
    as=(sudo)
  fi
  echo "Installing system package: chromium-headless-shell"
  local install=("${as[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell)
  "${install[@]}" >/dev/null 2>&1 && return 0
  { "${as[@]}" apt-get update -qq && "${install[@]}"; } >/dev/null 2>&1 && return 0
  echo "chromium-headless-shell could not be installed; the browser tests use chromium" >&2
  if [ -d "$(dirname "$unavailable")" ]; then touch "$unavailable"; fi
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  line="apt-get install -y ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "Installing system packages: ${missing[*]}"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "The test suite needs system packages that are not installed. Please run:" >&2
    echo "  sudo apt-get update && sudo $line" >&2
    exit 1
  fi
fi
headless_shell
