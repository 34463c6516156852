#!/usr/bin/env bash
# Installs everything pixgrad needs on a fresh Debian machine: npm packages, and (as root) the
# software Vulkan driver that gives WebGPU an adapter without a GPU, and Chromium for the
# browser test. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f scripts/setup-webgpu.sh ]; then bash scripts/setup-webgpu.sh; fi
if [ -f scripts/setup-browser.sh ]; then bash scripts/setup-browser.sh; fi

if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "setup: npm packages already installed"
else
  npm ci --no-audit --no-fund
fi
