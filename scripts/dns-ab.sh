#!/usr/bin/env bash
# Interleaved A/B of `junction dns` configurations, with Knot as the baseline, at a fixed query rate: one control
# plane with 1,000 services, one server per configuration on loopback, then dnsperf -Q RATE for SECONDS against each
# in turn, ROUNDS times, so drift in the machine's load hits every server alike. Prints p50/p99/p99.9 per run.
# A benchmark, not a test (root not needed; nothing outside loopback).
# Usage: scripts/dns-ab.sh [RATE] [ROUNDS] [SECONDS] [-- "FLAGS A" "FLAGS B" ...]
#   default configurations: "--udp-queue shared" and "--udp-queue per-loop"
set -uo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-100000}; ROUNDS=${2:-4}; SECS=${3:-5}
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = "--" ] && shift
CONFIGS=("$@"); [ ${#CONFIGS[@]} -eq 0 ] && CONFIGS=("--udp-queue shared" "--udp-queue per-loop")
J=./.build-release/release/junction
[ -x $J ] || { echo "build first: swift build -c release --scratch-path .build-release" >&2; exit 1; }
for tool in dnsperf knotd kubectl; do command -v $tool >/dev/null || { echo "$tool missing (scripts/bench.sh dns installs it)" >&2; exit 1; }; done
D=$(mktemp -d /tmp/junction-dns-ab-XXXXXX)
OUT=$(mktemp -d /dev/shm/junction-dns-ab-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$D" "$OUT"; }
trap cleanup EXIT
free_port() { python3 -c "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('127.0.0.1',0));print(s.getsockname()[1])"; }

$J control-plane --data-dir $D/data --listen 127.0.0.1:0 --kubeconfig-out $D/kubeconfig --log-level error > $D/cp.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s $D/kubeconfig ] && break; sleep 0.1; done
python3 - "$D" <<'PY'
import random, sys
d = sys.argv[1]
with open(f"{d}/services.yaml", "w") as f:
    f.write("apiVersion: v1\nkind: List\nitems:\n")
    for i in range(1000):
        f.write(f"- apiVersion: v1\n  kind: Service\n  metadata: {{name: svc-{i}, namespace: default}}\n"
                f"  spec: {{ports: [{{name: http, port: 80, protocol: TCP}}]}}\n")
random.seed(1)
with open(f"{d}/queries.txt", "w") as f:
    for _ in range(100000):
        r, n = random.random(), random.randrange(1000)
        name = f"svc-{n}.default.svc.cluster.local"
        if r < 0.7: f.write(f"{name} A\n")
        elif r < 0.8: f.write(f"_http._tcp.{name} SRV\n")
        elif r < 0.9: f.write(f"{name}.default.svc.cluster.local A\n")
        else: f.write(f"missing-{n}.default.svc.cluster.local A\n")
PY
kubectl --kubeconfig $D/kubeconfig apply --validate=false -f $D/services.yaml > /dev/null || exit 1

# Knot with the same names: A and SRV from the API's ClusterIPs.
kubectl --kubeconfig $D/kubeconfig get services -n default -o jsonpath='{range .items[*]}{.metadata.name} {.spec.clusterIP}{"\n"}{end}' > $D/ips.txt
{
  printf '$ORIGIN cluster.local.\n$TTL 30\n@ SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5\n@ NS ns.dns.cluster.local.\nns.dns A 10.96.0.10\n'
  while read -r name ip; do
    [ -n "$ip" ] && [ "$ip" != "None" ] || continue
    printf '%s.default.svc A %s\n_http._tcp.%s.default.svc SRV 0 100 80 %s.default.svc.cluster.local.\n' "$name" "$ip" "$name" "$name"
  done < $D/ips.txt
} > $D/cluster.local.zone
KNOT_PORT=$(free_port)
cat > $D/knot.conf <<KC
server:
    rundir: "$D"
    listen: 127.0.0.1@$KNOT_PORT
log:
  - target: stderr
    any: error
database:
    storage: "$D/knot-db"
zone:
  - domain: cluster.local
    storage: "$D"
    file: cluster.local.zone
KC
knotd -c $D/knot.conf > $D/knot.log 2>&1 &
pids+=($!)

ports=()
for i in "${!CONFIGS[@]}"; do
  # shellcheck disable=SC2086
  $J dns --kubeconfig $D/kubeconfig --listen 127.0.0.1:0 --health-bind "" --metrics-bind 127.0.0.1:0 --no-forward \
    ${CONFIGS[$i]} > $D/dns$i.log 2>&1 &
  pids+=($!)
done
sleep 3
for i in "${!CONFIGS[@]}"; do
  port=$(grep -o 'udp=[0-9]*' $D/dns$i.log | head -1 | cut -d= -f2)
  [ -n "$port" ] || { echo "junction dns ${CONFIGS[$i]} did not start:" >&2; cat $D/dns$i.log >&2; exit 1; }
  ports+=("$port")
done
CONFIGS+=("knot"); ports+=("$KNOT_PORT")

echo "dnsperf -Q $RATE -l $SECS -c 16 -q 200, $ROUNDS rounds, 1000 services ($(nproc) cores)"
for r in $(seq "$ROUNDS"); do
  for i in "${!CONFIGS[@]}"; do
    dnsperf -s 127.0.0.1 -p "${ports[$i]}" -d $D/queries.txt -l "$SECS" -c 16 -q 200 -t 2 -Q "$RATE" -v > $OUT/run.txt 2>&1
    grep '^> ' $OUT/run.txt | awk '{print $NF}' | sort -g > $OUT/latency.txt
    n=$(wc -l < $OUT/latency.txt)
    pick() { awk -v k="$1" 'NR==k {printf "%.3f", $1 * 1000}' $OUT/latency.txt; }
    qps=$(awk '/Queries per second/ {printf "%.0f", $4}' $OUT/run.txt)
    lost=$(awk '/Queries lost/ {print $3}' $OUT/run.txt)
    printf "round %d  %-28s %7s q/s  p50 %s  p99 %s  p99.9 %s ms  lost %s\n" "$r" "${CONFIGS[$i]}" "$qps" \
      "$(pick $((n / 2)))" "$(pick $((n * 99 / 100)))" "$(pick $((n * 999 / 1000)))" "$lost"
  done
done
