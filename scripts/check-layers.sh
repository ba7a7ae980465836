#!/bin/sh
# Fails if a module's module-info.java requires a Tern module of the same or a higher layer: dependencies point
# down only (README "Modules"). javac and Maven already refuse cycles; this also refuses an upward edge that closes
# none (e.g. the conformance kit reaching for vfio-user). Modules outside Tern (java.*, info.picocli) are allowed.
# Usage: check-layers.sh MODULE_INFO_JAVA   (no file: nothing to check, e.g. the automatic modules bench and it)
set -eu
file=$1
[ -f "$file" ] || { echo "check-layers: no $file"; exit 0; }
awk '
BEGIN {
  # layer of each Tern module, bottom up
  split("dev.tern.protocol:0 dev.tern.sys:0 dev.tern.json:0 dev.tern.device:1 dev.tern.samples:2 " \
        "dev.tern.conformance:2 dev.tern.vfiouser:3 dev.tern.vfio:3 dev.tern.vmm:4 dev.tern.migration:5 " \
        "dev.tern.demo:6 dev.tern.cli:7", pairs, " ")
  for (i in pairs) { split(pairs[i], kv, ":"); layer[kv[1]] = kv[2] }
}
/^[ \t]*(open[ \t]+)?module[ \t]/ { name = $0; sub(/.*module[ \t]+/, "", name); sub(/[ \t{].*/, "", name) }
/^[ \t]*requires[ \t]/ {
  dep = $0; sub(/;.*/, "", dep); n = split(dep, w, /[ \t]+/); dep = w[n]
  if (!(name in layer)) { print FILENAME ": module " name " has no layer in check-layers.sh"; bad = 1; exit }
  if (dep ~ /^dev\.tern\./) {
    if (!(dep in layer)) { print FILENAME ": " dep " has no layer in check-layers.sh"; bad = 1 }
    else if (layer[dep] >= layer[name]) {
      print FILENAME ": " name " (layer " layer[name] ") must not require " dep " (layer " layer[dep] ")"; bad = 1
    }
  }
}
END { if (bad) exit 1; print FILENAME ": module " name " requires only lower layers" }
' "$file"
