#!/bin/sh
# Fails unless JAR describes as a Java module named NAME of the given KIND (`jar --describe-module` exits 0 even when
# it cannot derive a module, so its output is read): a jar with an invalid automatic name cannot sit on the module
# path, and a library jar must carry its module-info.class (explicit), not just an Automatic-Module-Name.
# Usage: check-module-name.sh JAR_TOOL NAME JAR [explicit|automatic]   (default explicit)
set -eu
jar_tool=$1 name=$2 file=$3 kind=${4:-explicit}
out=$("$jar_tool" --describe-module --file "$file" 2>&1) || { echo "$file: $out" >&2; exit 1; }
# first non-empty line after the optional "No module descriptor found" note: "<name>@<version> ..."
first=$(printf '%s\n' "$out" | grep -v -e '^No module descriptor found' -e '^$' | head -n 1)
described=${first%%@*}
described=${described%% *}
case "$out" in
  "No module descriptor found"*) found=automatic ;;
  *) found=explicit ;;
esac
if [ "$described" != "$name" ] || [ "$found" != "$kind" ]; then
  echo "$file: expected $kind module $name, jar --describe-module says:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
echo "$file: $kind module $name"
