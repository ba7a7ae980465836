#!/usr/bin/env bash
# Builds and tests every project under examples/ as a user of Tern would: each is a Maven project outside the
# reactor that depends on Tern's library artifacts, so first the libraries it uses are installed into the local
# repository (only those modules and what they need), then each example runs `verify` against them.
# Run with JAVA_HOME at a JDK 25 (./tern test calls it so); needs nothing but Maven Central.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./mvnw -B -q install -DskipTests -pl tern-device,tern-vmm -am
for pom in examples/*/pom.xml; do
  echo "examples: verify $pom"
  ./mvnw -B -f "$pom" verify
done
