#!/usr/bin/env bash
# Install Chromium for the real-browser test (test/browser.test.ts).
#
# The test drives Debian's `chromium` with playwright-core (never a downloaded browser):
# `--enable-unsafe-webgpu` gives it a SwiftShader WebGPU adapter without a GPU.
#
# Idempotent: does nothing when /usr/bin/chromium exists. Only acts as root on Debian; elsewhere
# it prints what to do and exits 0 so `npm run setup` never fails because of it. Exit status is
# non-zero only when it tried to install and failed.
#
# Usage: scripts/setup-browser.sh             (from anywhere)
#        PIXGRAD_SKIP_BROWSER_SETUP=1 ...     to opt out
set -euo pipefail

say() { echo "setup-browser: $*" >&2; }
chromium=/usr/bin/chromium

if [[ "${PIXGRAD_SKIP_BROWSER_SETUP:-}" == "1" ]]; then
  say "skipped (PIXGRAD_SKIP_BROWSER_SETUP=1)"
  exit 0
fi

if [[ -x "$chromium" ]]; then
  say "$chromium is already installed; nothing to do"
  exit 0
fi

if [[ "$(uname -s)" != "Linux" ]] || ! grep -qi '^ID=debian' /etc/os-release 2>/dev/null; then
  say "no $chromium and this is not Debian: install Chromium and point PIXGRAD_CHROMIUM at it to run the browser test (it skips otherwise)"
  exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
  say "no $chromium; run this script as root (or \`apt-get install chromium\` yourself) to run the browser test"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
say "installing chromium from Debian"
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium
if [[ -x "$chromium" ]]; then
  say "done: $("$chromium" --version 2>/dev/null || echo chromium)"
else
  say "install finished but $chromium was not found"
  exit 1
fi
