#!/usr/bin/env bash
# Benchmarks (not tests): a release build in its own build directory, then each benchmark with a baseline measured
# in the same run. Usage: scripts/bench.sh [control-plane|cluster|all]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
swift build -c release --scratch-path .build-release 2>&1 | grep -E "error|warning: " | grep -v swift-distributed-tracing || true
bin=./.build-release/release/junction
case "${1:-all}" in
  control-plane) $bin bench control-plane ;;
  cluster) $bin bench cluster ;;
  all) $bin bench control-plane; $bin bench cluster ;;
esac
