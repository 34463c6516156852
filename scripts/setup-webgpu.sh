#!/usr/bin/env bash
# Make WebGPU available to Dawn (the `webgpu` npm package) on a machine without a GPU driver.
#
# Dawn needs a Vulkan driver. On a GPU-less Debian bookworm machine that driver is Mesa's lavapipe
# (software Vulkan, "llvmpipe"); bookworm's own Mesa 22.3 is too old for Dawn, the one in
# bookworm-backports (25.x) works. See shared/DESIGN.md, "Running WebGPU without a GPU".
#
# Idempotent: does nothing when a Vulkan ICD is already installed. Only acts as root on Debian
# (it edits apt sources); elsewhere it prints what to do and exits 0 so `npm install` never fails
# because of it. Exit status is non-zero only when it tried to install and failed.
#
# Usage: scripts/setup-webgpu.sh            (from anywhere)
#        PIXGRAD_SKIP_WEBGPU_SETUP=1 ...    to opt out
set -euo pipefail

say() { echo "setup-webgpu: $*" >&2; }

if [[ "${PIXGRAD_SKIP_WEBGPU_SETUP:-}" == "1" ]]; then
  say "skipped (PIXGRAD_SKIP_WEBGPU_SETUP=1)"
  exit 0
fi

has_vulkan_icd() {
  # lavapipe registers lvp_icd.*.json; a GPU driver registers its own ICD. Any ICD plus the loader will do.
  local d
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
    if compgen -G "$d/*.json" >/dev/null 2>&1; then
      # Capture first: `ldconfig -p | grep -q` trips pipefail when grep exits early (SIGPIPE).
      local libs
      libs="$(ldconfig -p 2>/dev/null || true)"
      if [[ "$libs" == *libvulkan.so.1* ]]; then return 0; fi
    fi
  done
  return 1
}

# bookworm's own Mesa (22.3) registers lavapipe too, but Dawn finds no adapter on it (it arrives
# with other packages, e.g. python3-torch pulls it in): that one is replaced from backports.
old_bookworm_mesa() {
  local v
  v="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
  [[ "$v" == 22.* ]] && grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release
}

if has_vulkan_icd && ! old_bookworm_mesa; then
  say "a Vulkan driver is already installed; nothing to do"
  exit 0
fi

if [[ "$(uname -s)" != "Linux" ]] || ! grep -qi '^ID=debian' /etc/os-release 2>/dev/null; then
  say "no Vulkan driver found and this is not Debian: install your GPU's Vulkan driver (or Mesa's lavapipe) to use WebGPU; the CPU backend works without it"
  exit 0
fi
if [[ "$(id -u)" != "0" ]]; then
  say "no Vulkan driver found; run this script as root (or install mesa-vulkan-drivers from bookworm-backports yourself) to use WebGPU"
  exit 0
fi

codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
if [[ "$codename" != "bookworm" ]]; then
  # Newer Debian releases ship a Mesa recent enough for Dawn.
  say "installing mesa-vulkan-drivers from $codename"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mesa-vulkan-drivers libvulkan1
  exit 0
fi

sources=/etc/apt/sources.list.d/debian.sources
backports=bookworm-backports
if [[ -f "$sources" ]]; then
  if ! grep -qE "^Suites:.*\b${backports}\b" "$sources"; then
    # Append to the first Suites: line that lists plain `bookworm` (the main archive, not -security).
    cp "$sources" "$sources.pixgrad.bak"
    awk -v bp="$backports" '
      !done && /^Suites:/ && $0 ~ /(^|[ \t])bookworm([ \t]|$)/ { print $0 " " bp; done = 1; next }
      { print }
    ' "$sources.pixgrad.bak" >"$sources"
    say "added $backports to $sources (backup: $sources.pixgrad.bak)"
  fi
elif ! grep -rqs "$backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian $backports main" >/etc/apt/sources.list.d/pixgrad-backports.list
  say "added /etc/apt/sources.list.d/pixgrad-backports.list"
fi

export DEBIAN_FRONTEND=noninteractive
say "installing Mesa's lavapipe from $backports"
apt-get update -qq
apt-get install -y -qq -t "$backports" mesa-vulkan-drivers libvulkan1
if has_vulkan_icd; then
  say "done: WebGPU will run on lavapipe (llvmpipe)"
else
  say "install finished but no Vulkan ICD was found"
  exit 1
fi
