#!/usr/bin/env bash
# Outside measure of `tern serve` (issue 12): for each JAR given, alternating, ROUNDS times: C-client REGION_READ
# round trips (config space, 4 B), a STOP_COPY drain of a 64 MiB dma-engine in 1 MiB MIG_DATA_READs, and in the
# same round the raw baselines (socketpair ping-pong, socketpair bulk copy of 64 MiB).
#   tern-bench/c/peer-bench.sh ROUNDS JAR...      (PEER=path of vfio-user-peer-bench, PINGPONG=socketpair-pingpong)
set -euo pipefail
rounds=$1; shift
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
start() { # jar device -> pid of a server listening on $dir/s
  rm -f "$dir/s"
  "$java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -jar "$1" serve --device="$2" --socket="$dir/s" \
      --log-level=warn >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do [ -S "$dir/s" ] && return; sleep 0.05; done
  echo "server did not start" >&2; cat "$dir/log" >&2; exit 1
}
for r in $(seq "$rounds"); do
  echo "round $r load $(cut -d' ' -f1 /proc/loadavg)"
  "$PINGPONG" 3
  for jar in "$@"; do
    start "$jar" uart;  "$PEER" rtt "$dir/s" 1 >/dev/null; echo -n "$jar "; "$PEER" rtt "$dir/s" 3; kill $pid; wait $pid || true
  done
  "$PEER" raw $((64 << 20))
  for jar in "$@"; do
    start "$jar" dma-engine; echo -n "$jar "; "$PEER" stopcopy "$dir/s"; "$PEER" stopcopy "$dir/s" >/dev/null || true
    echo -n "$jar again "; "$PEER" stopcopy "$dir/s"; kill $pid; wait $pid || true
  done
done
