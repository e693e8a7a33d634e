#!/usr/bin/env bash
# Installs what Junction needs on a Debian 12 machine (as root), only what is missing, then builds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libsqlite3-dev libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libnftables-dev nftables iproute2 iputils-ping procps curl pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v kubectl >/dev/null || { echo "kubectl is required (expected on this machine image)"; exit 1; }
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift build ${JUNCTION_BUILD_FLAGS:-} 2>&1 | grep -vE "^warning: 'swift-distributed-tracing'|^\[[0-9]+/[0-9]+\]" || true
test -x .build/debug/junction -o -x .build/release/junction || { echo "build failed"; exit 1; }
