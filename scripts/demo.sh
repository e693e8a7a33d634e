#!/usr/bin/env bash
# The main job: start a control plane, apply the sample manifests with the stock kubectl and show what the cluster
# made of them (ClusterIPs, NodePorts, LoadBalancer IPs, ReplicaSets, EndpointSlices). Stops it again unless
# --keep is given. Everything lives under a fresh temporary directory; nothing touches the host's network.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[ "${1:-}" = "--keep" ] && keep=true
bash scripts/setup.sh
dir=$(mktemp -d /tmp/junction-demo.XXXXXX)
./.build/debug/junction control-plane --data-dir "$dir/data" --listen 127.0.0.1:0 \
  --kubeconfig-out "$dir/kubeconfig" --log-level warning >"$dir/control-plane.log" 2>&1 &
pid=$!
cleanup() { if ! $keep; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"; fi; }
trap cleanup EXIT
for _ in $(seq 100); do [ -f "$dir/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$dir/kubeconfig"
k() { echo "\$ kubectl $*"; kubectl --cache-dir "$dir/cache" "$@"; echo; }
k version
k apply -f docs/examples/
sleep 1
k get nodes
k get deploy,rs,svc -o wide
k get endpointslices
k describe svc web
if $keep; then
  echo "Control plane running (pid $pid). Try: export KUBECONFIG=$dir/kubeconfig; kubectl get all"
  echo "Stop it with: kill $pid"
fi
