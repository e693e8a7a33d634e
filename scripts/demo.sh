#!/usr/bin/env bash
# The main job: a simulated 3-node cluster (network namespaces, real processes) with the sample services, shown
# working with the stock kubectl and real packets: pod to pod, by Service name through the cluster DNS and the
# nftables proxy, NodePort and LoadBalancer from outside. Takes the cluster down again unless --keep is given.
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
echo "Through the Service by name (cluster DNS at 10.96.0.10, then the node's nftables proxy):"
echo "\$ junction exec $caller -- getent hosts web"
$junction exec --name $name "$caller" -- getent hosts web
for _ in 1 2 3; do $junction exec --name $name "$caller" -- curl -s -m 3 http://web/text; done
echo
echo "From outside the cluster (the client namespace on the underlay): NodePort on each node, then the LoadBalancer IP:"
for ip in 172.18.0.2 172.18.0.3 172.18.0.4; do
  echo "\$ curl http://$ip:30080/text"; $junction exec --name $name client -- curl -s -m 3 "http://$ip:30080/text"
done
lb=$(kubectl get svc web-lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
echo "\$ curl http://$lb/text"; $junction exec --name $name client -- curl -s -m 3 "http://$lb/text"
echo
k logs "$caller" --tail=3
if $keep; then
  echo "Cluster kept. export KUBECONFIG=/tmp/junction-demo.kubeconfig; stop it with: $junction down --name $name"
fi
