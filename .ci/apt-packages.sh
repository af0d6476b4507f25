#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only those not yet installed.
# Run as root on Debian (CI calls it from .ci/run). Add packages to the list below.
set -euo pipefail

PACKAGES=(
  fonts-wqy-microhei   # CJK+Latin font (wqy-microhei.ttc) for tests/filemakers.py make_cjk_pdf
  chromium             # headless browser for the chat-page test (driven by Playwright, never downloaded)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "apt-packages: all ${#PACKAGES[@]} package(s) already installed"
  exit 0
fi

echo "apt-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
