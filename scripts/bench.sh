#!/usr/bin/env bash
# Benchmarks (not tests): a release build in its own build directory, then each benchmark with a baseline measured
# in the same run. Usage: scripts/bench.sh [control-plane|cluster|proxy|dns|all]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
swift build -c release --scratch-path .build-release 2>&1 | grep -E "error|warning: " | grep -v swift-distributed-tracing || true
bin=./.build-release/release/junction
# The DNS benchmark's peers, installed here rather than in setup.sh so that test runs do not pay for them.
dns_tools() {
  [ -x /usr/bin/dnsperf ] && [ -x /usr/sbin/dnsmasq ] && [ -x /usr/sbin/knotd ] && return
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsperf dnsmasq-base knot >/dev/null
}
case "${1:-all}" in
  control-plane) $bin bench control-plane ;;
  cluster) $bin bench cluster ;;
  proxy) $bin bench proxy ;;
  dns) dns_tools; $bin bench dns ;;
  all) $bin bench control-plane; $bin bench cluster; $bin bench proxy; dns_tools; $bin bench dns ;;
esac
