#!/usr/bin/env bash
# The main job: a simulated 3-node cluster (network namespaces, real processes) with the sample services, shown
# working with the stock kubectl and real packets. Takes the cluster down again unless --keep is given.
# Everything lives in namespaces named demo-*; the host's own network is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[ "${1:-}" = "--keep" ] && keep=true
bash scripts/setup.sh
junction=./.build/debug/junction
name=demo
cleanup() { $keep || $junction down --name $name >/dev/null; }
trap cleanup EXIT
$junction up --name $name --nodes 3 --kubeconfig-out /tmp/junction-demo.kubeconfig | head -5
export KUBECONFIG=/tmp/junction-demo.kubeconfig
k() { echo "\$ kubectl $*"; kubectl --cache-dir /tmp/junction-demo-cache "$@"; echo; }
k get nodes -o wide
k apply -f docs/examples/
echo "waiting for the pods to be Ready..."
kubectl --cache-dir /tmp/junction-demo-cache wait --for=condition=Available deployment/web --timeout=60s >/dev/null
k get deploy,rs,svc -o wide
k get pods -o wide
k get endpointslices
caller=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
echo "Pod-to-pod HTTP from $caller (no NAT: each answer shows the caller's own pod IP):"
for ip in $(kubectl get pods -l app=web -o jsonpath='{.items[*].status.podIP}'); do
  echo "\$ junction exec $caller -- curl -s http://$ip:8080/text"
  $junction exec --name $name "$caller" -- curl -s -m 3 "http://$ip:8080/text"
done
echo
k logs "$caller" --tail=3
if $keep; then
  echo "Cluster kept. export KUBECONFIG=/tmp/junction-demo.kubeconfig; stop it with: $junction down --name $name"
fi
