#!/usr/bin/env bash
# Checks for Python >= 3.11 with venv support; installs python3-venv from apt when allowed.
set -euo pipefail
py="${1:-python3}"
if ! command -v "$py" >/dev/null 2>&1; then
  echo "Python 3.11 or newer is required: install it with  apt-get install -y python3 python3-venv" >&2
  exit 1
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is required; $("$py" --version) was found." >&2
  exit 1
fi
if "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  exit 0
fi
pkg="python3-venv"
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg"
else
  echo "Python's venv module is missing. Please run:  sudo apt-get install -y $pkg" >&2
  exit 1
fi
