#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (headless Chromium for the browser tests),
# when we may (root or passwordless sudo); otherwise stops with the exact command to run.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

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
