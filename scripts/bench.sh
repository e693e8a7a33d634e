#!/usr/bin/env bash
# Benchmarks (not tests): a release build, then each benchmark with a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
JUNCTION_BUILD_FLAGS="-c release" bash scripts/setup.sh
./.build/release/junction bench control-plane "$@"
