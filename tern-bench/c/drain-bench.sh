#!/usr/bin/env bash
# Warm STOP_COPY drains of `tern serve --device=dma-engine` (64 MiB) by the C client, next to the C socketpair copy of
# the same bytes (issue 12): for each JAR given, alternating, ROUNDS times: start a server, WARM unmeasured drains
# (the JIT compiles the path), then DRAINS measured ones; prints every measured MiB/s and their median. peer-bench.sh's
# "again" drain is the third of a fresh JVM, mostly interpreted; this one measures the compiled path.
#   PEER=path/of/vfio-user-peer-bench [WARM=20] [DRAINS=10] [PERF=dir] tern-bench/c/drain-bench.sh ROUNDS JAR...
# With PERF, `perf record -g -e cpu-clock` samples the server during the measured drains (PERF/round-R-jar-J.data;
# the JVM writes /tmp/perf-PID.map at exit for Java frames).
set -euo pipefail
rounds=$1; shift
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
warm=${WARM:-20}; drains=${DRAINS:-10}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for r in $(seq "$rounds"); do
  echo "round $r load $(cut -d' ' -f1 /proc/loadavg)"
  raw=$(for _ in 1 2 3; do "$PEER" raw $((64 << 20)) | awk '{print $(NF-1)}'; done)
  echo "raw $(echo $raw) median $(echo "$raw" | median)"
  j=0
  for jar in "$@"; do
    j=$((j + 1))
    rm -f "$dir/s"
    "$java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -XX:+PreserveFramePointer \
        -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -jar "$jar" serve --device=dma-engine \
        --socket="$dir/s" --log-level=warn >"$dir/log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do [ -S "$dir/s" ] && break; sleep 0.05; done
    [ -S "$dir/s" ] || { echo "server did not start" >&2; cat "$dir/log" >&2; exit 1; }
    for _ in $(seq "$warm"); do "$PEER" stopcopy "$dir/s" >/dev/null; done
    if [ -n "${PERF:-}" ]; then
      mkdir -p "$PERF"
      perf record -g -e cpu-clock -F 4999 -p $pid -o "$PERF/round-$r-jar-$j.data" 2>/dev/null & perf=$!
      sleep 0.5
    fi
    got=$(for _ in $(seq "$drains"); do "$PEER" stopcopy "$dir/s" | awk '{print $(NF-1)}'; done)
    if [ -n "${PERF:-}" ]; then kill -INT $perf; wait $perf || true; fi
    echo "$jar $(echo $got) median $(echo "$got" | median)"
    kill $pid; wait $pid || true
  done
done
