# Shared by day.sh and cluster-day.sh (sourced, not run): a temporary
# work folder, the processes started, and stopping them all on exit.
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# stream_last MONITOR: the last sequence of the record stream NDXP_TX, from
# a NATS server's monitoring port (host:port), 0 if it cannot be read.
stream_last() {
  curl -s "http://$1/jsz?streams=true" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(max([s["state"]["last_seq"] for a in d.get("account_details",[]) for s in a.get("stream_detail",[]) if s["name"]=="NDXP_TX"] or [0]))' 2>/dev/null || echo 0
}

# millis_since NANOS: milliseconds since a "date +%s%N" reading.
millis_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
