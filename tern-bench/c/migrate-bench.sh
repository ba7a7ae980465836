#!/usr/bin/env bash
# Issue 12 item 6: two-process migration downtime (a dma-engine (256 MiB) and a uart served by `tern serve` on each
# side, `tern receive` + `tern migrate --no-precopy`, 128 MiB guest memory) against the in-process
# `tern demo --no-precopy` (the same devices and memory) in the same round, for each JAR given, alternating.
#   tern-bench/c/migrate-bench.sh ROUNDS JAR...
# SETTLE=SECONDS: the servers and `receive` run that long before `migrate` starts, as they would in a deployment
# (started with the VM), so their start-up compilation is over. AOT=DIR: every command starts from DIR/<command>.aot (scripts/aot-train.sh JAR DIR trains them; one JAR then).
set -euo pipefail
rounds=$1; shift
java=(${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC ${JAVA_EXTRA:-})
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
aot() { [ -n "${AOT:-}" ] && echo "-XX:AOTCache=$AOT/$1.aot" || true; }
serve() { # jar device socket [options]
  "${java[@]}" $(aot serve) -jar "$1" serve --device="$2" --socket="$dir/$3" --log-level=warn "${@:4}" >>"$dir/serve.log" 2>&1 &
  pids+=($!)
}
downtime() { sed -n 's/.*"downtime_ms":\([0-9.]*\).*/\1/p'; }
for r in $(seq "$rounds"); do
  for jar in "$@"; do
    echo "round $r load $(cut -d' ' -f1 /proc/loadavg) $jar"
    echo "  demo     downtime_ms $("${java[@]}" $(aot demo) -jar "$jar" demo --no-precopy --json 2>/dev/null | downtime)"
    pids=(); rm -f "$dir"/*.sock
    serve "$jar" dma-engine src-dma.sock --memory=256MiB; serve "$jar" uart src-uart.sock
    serve "$jar" dma-engine dst-dma.sock --memory=256MiB; serve "$jar" uart dst-uart.sock
    for s in src-dma src-uart dst-dma dst-uart; do
      for _ in $(seq 200); do [ -S "$dir/$s.sock" ] && break; sleep 0.05; done
    done
    "${java[@]}" $(aot receive) -jar "$jar" receive --socket="$dir/dst-dma.sock" --socket="$dir/dst-uart.sock" \
        --guest-memory=128MiB --listen=127.0.0.1:0 ${RECV_JSON:+--json} 2>"$dir/recv.log" >>"${RECV_JSON:-/dev/null}" &
    recv=$!
    for _ in $(seq 400); do grep -q "listening on" "$dir/recv.log" && break; sleep 0.05; done
    port=$(sed -n 's/.*listening on .*:\([0-9]*\).*/\1/p' "$dir/recv.log" | head -1)
    sleep "${SETTLE:-0}"
    echo "  2-process downtime_ms $("${java[@]}" $(aot migrate) -jar "$jar" migrate --socket="$dir/src-dma.sock" \
        --socket="$dir/src-uart.sock" --guest-memory=128MiB --to=127.0.0.1:"$port" --no-precopy --json 2>/dev/null \
        | tee -a "${TIMELINE:-/dev/null}" | downtime)"
    wait "$recv" || true
    for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  done
done
