#!/bin/sh
# Fails unless JAR describes as a Java module named NAME (`jar --describe-module` exits 0 even when it cannot
# derive a module, so its output is read): a jar with an invalid automatic name cannot sit on the module path.
# Usage: check-module-name.sh JAR_TOOL NAME JAR
set -eu
jar_tool=$1 name=$2 file=$3
out=$("$jar_tool" --describe-module --file "$file" 2>&1) || { echo "$file: $out" >&2; exit 1; }
# first non-empty line after the optional "No module descriptor found" note: "<name>@<version> ..."
first=$(printf '%s\n' "$out" | grep -v -e '^No module descriptor found' -e '^$' | head -n 1)
described=${first%%@*}
described=${described%% *}
if [ "$described" != "$name" ]; then
  echo "$file: expected module $name, jar --describe-module says:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
echo "$file: module $name"
