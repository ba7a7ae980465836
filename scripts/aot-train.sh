#!/usr/bin/env bash
# Trains the JDK's ahead-of-time caches (JEP 483 class loading and linking, JEP 515 method profiles) for the
# commands whose start-up lands in a downtime: `serve`, `receive`, `migrate`, and `demo`. A migration started
# cold runs its data path in the interpreter and compiles it during the downtime; with a cache the classes are
# loaded and linked already and the JIT starts from recorded profiles (BENCHMARKS.md, fifth pass: the CPU spent
# in a two-process downtime). The training is a loopback migration like the benchmark's, twice, so one `serve`
# JVM is a destination and then a source. The caches belong to one build of the jar: ./tern deletes them when it
# rebuilds, and a JVM given a cache that does not match ignores it.
#   scripts/aot-train.sh JAR OUT_DIR        (./tern aot calls it)
set -euo pipefail
jar=$1; out=$2
java=("${JAVA_HOME:?JAVA_HOME must point at a JDK 25}/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC)
dir=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
mkdir -p "$out"; rm -f "$out"/*.aot
train() { echo "-XX:AOTCacheOutput=$out/$1.aot"; }
serve() { # socket device [java options]
  "${java[@]}" "${@:3}" -jar "$jar" serve --device="$2" --socket="$dir/$1" --memory=64MiB --log-level=warn \
      </dev/null >>"$dir/serve.log" 2>&1 &
  pids+=($!)
}
await() { for _ in $(seq 400); do [ -S "$dir/$1" ] && return; sleep 0.05; done; echo "aot-train: $1 did not start" >&2; exit 1; }
migrate() { # from-dma from-uart to-dma to-uart [receive options] -- [migrate options]
  local recv_opts=() mig_opts=() rest=("${@:5}") i
  for i in "${!rest[@]}"; do [ "${rest[$i]}" = -- ] && { recv_opts=("${rest[@]:0:$i}"); mig_opts=("${rest[@]:$((i + 1))}"); }; done
  rm -f "$dir/recv.log"
  "${java[@]}" "${recv_opts[@]}" -jar "$jar" receive --socket="$dir/$3" --socket="$dir/$4" --guest-memory=32MiB \
      --listen=127.0.0.1:0 2>"$dir/recv.log" >/dev/null &
  local recv=$!
  for _ in $(seq 400); do grep -q "listening on" "$dir/recv.log" 2>/dev/null && break; sleep 0.05; done
  local port; port=$(sed -n 's/.*listening on .*:\([0-9]*\).*/\1/p' "$dir/recv.log" | head -1)
  "${java[@]}" "${mig_opts[@]}" -jar "$jar" migrate --socket="$dir/$1" --socket="$dir/$2" --guest-memory=32MiB \
      --to=127.0.0.1:"$port" >/dev/null 2>"$dir/migrate.log" || { cat "$dir/migrate.log" "$dir/recv.log" >&2; exit 1; }
  wait "$recv"
}
"${java[@]}" "$(train demo)" -jar "$jar" demo --guest-memory=32MiB --device-memory=16MiB >/dev/null 2>&1
serve a-dma dma-engine; serve a-uart uart
serve b-dma dma-engine "$(train serve)"; serve b-uart uart
serve c-dma dma-engine; serve c-uart uart
for s in a-dma a-uart b-dma b-uart c-dma c-uart; do await "$s"; done
migrate a-dma a-uart b-dma b-uart "$(train receive)" --                  # b-dma (trained) loads
migrate b-dma b-uart c-dma c-uart -- "$(train migrate)"                  # then saves
for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done # TERM: a normal exit, the cache is written
pids=()
for c in demo serve receive migrate; do # AOTMode=on: the JVM fails unless it can use the cache with the launcher's flags
  "${java[@]}" -XX:AOTMode=on -XX:AOTCache="$out/$c.aot" -jar "$jar" --version >/dev/null \
      || { echo "aot-train: the $c cache cannot be used" >&2; exit 1; }
done
echo "tern: AOT caches in $out: $(cd "$out" && echo *.aot)"
