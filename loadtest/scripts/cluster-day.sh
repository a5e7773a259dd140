#!/usr/bin/env bash
# Replays a published day through two hubs on a secure three-server NATS
# cluster (replicas 3, nats-server built from go.mod) and reports how far
# the audit chain trailed the record stream (sampled every second) and how
# long "ndxp audit verify --records" takes. The set-up is the walk-through
# of docs/scaling.md.
#
#   bash loadtest/scripts/cluster-day.sh --scale 0.05
#
# Extra arguments go to "ndxp loadtest". Everything listens on 127.0.0.1
# (ports 24222-24224, 26222-26224, 28222-28224, 28081, 28082, 28090,
# 29091, 29092) and is stopped at the end; the data is in a fresh temporary
# folder (kept with KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=loadtest/scripts/lib.sh
. loadtest/scripts/lib.sh
go build -o "$work/ndxp" ./cmd/ndxp
go build -o "$work/nats-server" github.com/nats-io/nats-server/v2
ndxp=$work/ndxp
ready() {
  for _ in $(seq 180); do "$ndxp" healthcheck "$1" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "$1 never became ready; logs in $work (KEEP=1 keeps them)" >&2
  return 1
}
"$ndxp" certs --dir "$work/pki" > /dev/null
routes=nats://127.0.0.1:26222,nats://127.0.0.1:26223,nats://127.0.0.1:26224
for i in 1 2 3; do
  "$ndxp" nats-config --certs "$work/pki" --name "n$i" --store-dir "$work/data/n$i" \
    --listen "127.0.0.1:2422$((i+1))" --cluster-listen "127.0.0.1:2622$((i+1))" \
    --monitor "127.0.0.1:2822$((i+1))" --routes "$routes" -o "$work/n$i.conf" > /dev/null
  "$work/nats-server" -c "$work/n$i.conf" > "$work/n$i.log" 2>&1 &
  pids+=("$!")
done
urls=tls://127.0.0.1:24222,tls://127.0.0.1:24223,tls://127.0.0.1:24224
ready http://127.0.0.1:28222/healthz
for i in 1 2; do
  "$ndxp" hub --nats-url "$urls" --cert-dir "$work/pki" --replicas 3 --hub-id "hub-$i" --log-level warn \
    --grpc-addr "127.0.0.1:2909$i" --http-addr "127.0.0.1:2808$i" --rest-addr "" > "$work/hub$i.log" 2>&1 &
  pids+=("$!")
  ready "http://127.0.0.1:2808$i/readyz"
done
"$ndxp" agency --nats-url "$urls" --hub 127.0.0.1:29091 --certs "$work/pki" --http-addr 127.0.0.1:28090 --log-level warn > "$work/agency.log" 2>&1 &
pids+=("$!")
ready http://127.0.0.1:28090/readyz
# one sample a second: time, the record stream's last sequence, each hub's
# chained sequence
( while true; do
    last=$(stream_last 127.0.0.1:28222)
    c=""
    for i in 1 2; do c="$c $(curl -s "http://127.0.0.1:2808$i/metrics" | awk '/^ndxp_audit_chained_sequence /{printf "%d", $2}')"; done
    echo "$(date +%s) $last$c" >> "$work/samples.txt"
    sleep 1
  done ) &
pids+=("$!")
"$ndxp" loadtest --hub 127.0.0.1:29091 --certs "$work/pki" --profile 2022-h1 --days 1 --speed max --mode stream "$@" | tee "$work/load.txt" | grep -v '^load test:'
sleep 5
start=$(date +%s%N)
"$ndxp" audit verify --nats-url "$urls" --certs "$work/pki" --records | tail -2
echo "audit verify --records: $(millis_since "$start") ms"
awk '$2 > 0 { c = ($3 > $4 ? $3 : $4); if ($2 - c > m) m = $2 - c }
     END { printf "audit chain farthest behind the record stream (1 s samples): %d records\n", m }' "$work/samples.txt"
