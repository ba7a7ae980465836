#!/bin/sh
# Fails when the API of a library module has a public or protected declaration without Javadoc, or Javadoc that
# doclint finds broken (html, syntax, reference, accessibility). Run by `verify` (maven-antrun-plugin, parent POM);
# skipped while nothing changed since it last passed.
# API = the packages module-info.java exports (all packages while a module has no module-info.java).
# Rule (README, "Using Tern as a library"): every type, constructor, method and field has a doc comment with a main
# description (a comment of only tags, e.g. `/** @return x */`, is written `/** {@return x} */`); no class relies
# on an implicit default constructor; every API package has a package-info.java. Missing @param/@return/@throws
# tags on a documented declaration are tolerated (doclint reports them in the log) unless TAGS is "required", which
# a module sets (property tern.javadoc.tags) once it has none missing.
# Usage: check-javadoc.sh JAVAC SOURCE_DIR CLASSPATH WORK_DIR [TAGS: tolerated|required]
set -eu
javac_tool=$1 src=$2 cp=$3 work=$4 tags_rule=${5:-tolerated}
[ -d "$src" ] || exit 0
if [ -f "$src/module-info.java" ]; then
  # unqualified exports only: a package exported `to` a friend module is not API
  packages=$(sed -n 's/^[[:space:]]*exports[[:space:]]\{1,\}\([A-Za-z0-9_.]\{1,\}\)[[:space:]]*;.*/\1/p' \
    "$src/module-info.java")
else
  packages=$(cd "$src" && find . -name '*.java' ! -name module-info.java -exec dirname {} \; | sort -u \
    | sed 's|^\./||; s|/|.|g')
fi
files=
missing_info=
for p in $packages; do
  dir="$src/$(printf '%s' "$p" | tr . /)"
  [ -f "$dir/package-info.java" ] || missing_info="$missing_info $dir/package-info.java"
  for f in "$dir"/*.java; do [ -f "$f" ] && files="$files $f"; done
done
[ -n "$files" ] || exit 0
mkdir -p "$work/classes"
log="$work/doclint.txt" stamp="$work/passed"
# Up to date when the last run passed with the same rule, script and file list, and no source or classpath entry
# changed since.
key=$(printf '%s\n' "$tags_rule" "$(cksum < "$0")" "$files" | cksum)
# shellcheck disable=SC2086 # paths have no spaces (Java package paths, Maven's target directories)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] \
    && [ -z "$(find $files $(printf '%s' "$cp" | tr ':' ' ') -newer "$stamp" -print 2>/dev/null | head -n 1)" ]; then
  echo "$src: Javadoc check up to date"
  exit 0
fi
rm -f "$stamp"
# javac runs the same doclint as javadoc (public and protected members), stopping before code generation; C1 only,
# as a short run gains nothing from the optimising compiler (half the CPU time).
status=0
# shellcheck disable=SC2086
"$javac_tool" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -encoding UTF-8 -Xdoclint:all/protected -Xlint:none \
  -Xmaxwarns 100000 -Xmaxerrs 100000 -XDshould-stop.ifNoError=FLOW -proc:none -implicit:none -d "$work/classes" \
  --class-path "$cp" $files > "$log" 2>&1 || status=$?
# Tolerated: missing block tags on a documented declaration (doclint group "missing", reported, not enforced).
tag_warnings='warning: no @param for |warning: no @return$|warning: no @throws for '
tolerated=$tag_warnings
[ "$tags_rule" = required ] && tolerated='^$'
bad=$(grep -E '(warning|error): ' "$log" | grep -Ev "$tolerated" || true)
for f in $missing_info; do bad="$bad${bad:+
}$f:1: error: missing: every API package has a package-info.java saying what the package is for"; done
if [ -z "$bad" ] && [ "$status" -ne 0 ]; then bad=$(cat "$log"); fi
tags=$(grep -cE "$tag_warnings" "$log" || true)
if [ -n "$bad" ]; then
  printf '%s\n' "$bad" | sort -t: -k1,1 -k2,2n >&2
  n=$(printf '%s\n' "$bad" | wc -l)
  echo "$src: $n Javadoc problem(s) above: every public/protected type, constructor, method and field of an API" \
    "package needs a doc comment with a description (tags $tags_rule: @param/@return/@throws), and no Javadoc" \
    "may be broken (full doclint log: $log)" >&2
  exit 1
fi
echo "$key" > "$stamp"
echo "$src: Javadoc complete for packages: $(echo $packages) (tags $tags_rule; $tags missing @param/@return/@throws)"
