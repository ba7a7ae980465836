#!/usr/bin/env bash
# Issue 12: where the CPU of the two-process downtime goes, against the in-process demo's. One `tern demo
# --no-precopy` and one two-process migration (the set-up of migrate-bench.sh: dma-engine 256 MiB + uart on each
# side, 128 MiB guest memory, no pre-copy) under a system-wide `perf record` (needs perf and root, or
# kernel.perf_event_paranoid <= -1); every JVM keeps frame pointers and writes its perf map at exit. Then
# downtime-profile.py prints the CPU milliseconds of each process inside its run's downtime window, by category.
#   tern-bench/c/downtime-profile.sh JAR [OUT_DIR]
# SETTLE=SECONDS: the servers and `receive` run that long before `migrate` starts, as they would in a deployment
# (started with the VM), so their start-up compilation is over. AOT=DIR: every command starts from DIR/<command>.aot (scripts/aot-train.sh JAR DIR trains them).
# PRECOPY=1: both runs with pre-copy (the default of demo and migrate) instead of --no-precopy.
set -euo pipefail
jar=$1; out=${2:-$(mktemp -d)}; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
hz=1999
java=(${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC
      -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit ${JAVA_EXTRA:-})
dir=$(mktemp -d); pids=(); roles=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
aot() { [ -n "${AOT:-}" ] && echo "-XX:AOTCache=$AOT/$1.aot" || true; }
serve() { # role device socket [options]
  "${java[@]}" $(aot serve) -jar "$jar" serve --device="$2" --socket="$dir/$3" --log-level=warn "${@:4}" >>"$dir/serve.log" 2>&1 &
  pids+=($!); roles+=("$!=$1")
}
nopre=$([ -n "${PRECOPY:-}" ] || echo --no-precopy)
run() {
  "${java[@]}" $(aot demo) -jar "$jar" demo ${nopre} --json >"$out/demo.json" 2>/dev/null & demo=$!
  wait $demo
  serve src-dma dma-engine sd --memory=256MiB; serve src-uart uart su
  serve dst-dma dma-engine dd --memory=256MiB; serve dst-uart uart du
  for s in sd su dd du; do for _ in $(seq 200); do [ -S "$dir/$s" ] && break; sleep 0.05; done; done
  "${java[@]}" $(aot receive) -jar "$jar" receive --socket="$dir/dd" --socket="$dir/du" --guest-memory=128MiB \
      --listen=127.0.0.1:0 2>"$dir/recv.log" >/dev/null & recv=$!
  for _ in $(seq 400); do grep -q "listening on" "$dir/recv.log" && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on .*:\([0-9]*\).*/\1/p' "$dir/recv.log" | head -1)
  sleep "${SETTLE:-0}"
  "${java[@]}" $(aot migrate) -jar "$jar" migrate --socket="$dir/sd" --socket="$dir/su" --guest-memory=128MiB \
      --to=127.0.0.1:"$port" ${nopre} --json >"$out/two-process.json" 2>/dev/null & mig=$!
  wait $mig; wait $recv || true
  for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done # TERM: the perf maps are written
  echo "demo:$out/demo.json:$demo=demo" >"$out/runs"
  echo "two-process:$out/two-process.json:$(IFS=,; echo "${roles[*]}"),$recv=receive,$mig=migrate" >>"$out/runs"
  pids=()
}
echo "load $(cut -d' ' -f1 /proc/loadavg)"
perf record -a -g -k CLOCK_MONOTONIC -F $hz -o "$out/perf.data" -- bash -c "$(declare -f run serve aot); $(declare -p java jar out dir pids roles nopre); AOT=${AOT:-}; SETTLE=${SETTLE:-}; run" 2>/dev/null
perf script -i "$out/perf.data" -G -F comm,pid,tid,time,ip,sym,dso 2>/dev/null >"$out/samples.txt"
python3 "$here/downtime-profile.py" "$out/samples.txt" $hz $(cat "$out/runs")
