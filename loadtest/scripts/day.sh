#!/usr/bin/env bash
# Replays a published day against a fresh secure "ndxp up" on this machine
# and reports what issue 10's targets ask for: throughput, latency, the
# reconciliation, up's peak RSS, how far the counter and the audit chain
# trailed the record stream (sampled every second), and how long
# "ndxp audit verify --records" takes over the day.
#
#   bash loadtest/scripts/day.sh                 # the full 2022-h1 day (about 2.6 million)
#   bash loadtest/scripts/day.sh --scale 0.1     # a tenth of it
#   UPFLAGS="--memory-limit 360MiB" bash loadtest/scripts/day.sh --scale 0.1
#   UPENV="GOGC=200" bash loadtest/scripts/day.sh   # environment of "ndxp up" only
#
# Extra arguments go to "ndxp loadtest". Everything listens on 127.0.0.1
# (ports 19380, 19390, 14322, 18222) and is stopped at the end; the data
# dir is a fresh temporary folder (kept with KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=loadtest/scripts/lib.sh
. loadtest/scripts/lib.sh
go build -o "$work/ndxp" ./cmd/ndxp
ndxp=$work/ndxp
# shellcheck disable=SC2086 # UPENV and UPFLAGS are lists
env ${UPENV:-} "$ndxp" up --data-dir "$work/data" --grpc-addr 127.0.0.1:19390 --http-addr 127.0.0.1:19380 \
  --nats-listen 127.0.0.1:14322 --nats-monitor 127.0.0.1:18222 --rest-addr "" --log-level warn ${UPFLAGS:-} > "$work/up.log" 2>&1 &
up=$!
pids+=("$up")
for _ in $(seq 120); do "$ndxp" healthcheck http://127.0.0.1:19380/readyz >/dev/null 2>&1 && break; sleep 1; done
"$ndxp" healthcheck http://127.0.0.1:19380/readyz >/dev/null || { cat "$work/up.log"; exit 1; }
# one sample a second: time, up's RSS (kB), the record stream's last
# sequence, the counter's and the audit chain's
( while kill -0 "$up" 2>/dev/null; do
    last=$(stream_last 127.0.0.1:18222)
    echo "$(date +%s) $(awk '/VmRSS/{print $2}' /proc/"$up"/status) $last $(curl -s http://127.0.0.1:19380/metrics |
      awk '/^ndxp_records_applied_sequence /{r=$2} /^ndxp_audit_chained_sequence /{a=$2} END{printf "%d %d", r, a}')" >> "$work/samples.txt"
    sleep 1
  done ) &
pids+=("$!")
"$ndxp" loadtest --data-dir "$work/data" --hub 127.0.0.1:19390 --profile 2022-h1 --days 1 --speed max --mode stream "$@" | tee "$work/load.txt" | grep -v '^load test:'
sleep 5
start=$(date +%s%N)
"$ndxp" audit verify --data-dir "$work/data" --nats-url tls://127.0.0.1:14322 --records | tail -2
echo "audit verify --records: $(millis_since "$start") ms"
echo "up's peak RSS: $(awk '/VmHWM/{printf "%d MB", $2/1024}' /proc/"$up"/status)"
awk '$3 > 0 { c = $3 - $4; a = $3 - $5; if (c > mc) mc = c; if (a > ma) ma = a }
     END { printf "farthest behind the record stream (1 s samples): counter %d records, audit chain %d records\n", mc, ma }' "$work/samples.txt"
