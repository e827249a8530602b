#!/usr/bin/env bash
# The Hive 2.3 probe (README.md). Usage: probes/hive23/run.sh [postgres] [mysql] [mysql80] [mysql57]
# MAVEN_REPO: the local Maven repository (default ~/.m2/repository); PROBE_CHILD_JVM=1 runs Hive 2.3 in a child JVM
# (flags from PROBE_JVM_FLAGS) instead of an isolated classloader of this JVM.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
mvn=(mvn -B -q "-Dmaven.repo.local=$repo")
cd "$here"
"${mvn[@]}" dependency:copy-dependencies -DoutputDirectory=target/hive23-lib
# Hive 2.3.0's schema as Hive's schema tool builds it (-initSchemaTo 2.3.0): hive-schema-1.2.0 and the upgrade scripts
# 1.2.0 to 2.3.0, from the hive-standalone-metastore 3.1.3 distribution on Maven Central.
"${mvn[@]}" dependency:copy -Dartifact=org.apache.hive:hive-standalone-metastore:3.1.3:tar.gz:bin -DoutputDirectory=target
tar xzf target/hive-standalone-metastore-3.1.3-bin.tar.gz -C target apache-hive-metastore-3.1.3-bin/scripts
javac -nowarn -cp "target/hive23-lib/*" -d target/probe-classes Hive23Probe.java
# The embedded PostgreSQL and MariaDB of Ferry's test kit.
(cd "$root" && "${mvn[@]}" -pl ferry-testkit -am install -DskipTests && "${mvn[@]}" -pl ferry-testkit dependency:build-classpath -Dmdep.outputFile="$here/target/testkit.cp")
testkit="$(cat target/testkit.cp):$(ls "$root"/ferry-testkit/target/ferry-testkit-*.jar | grep -v sources | head -1)"
java -cp "$testkit" ProbeDatabases.java "$here/target/hive23-lib" "$here/target/apache-hive-metastore-3.1.3-bin/scripts/metastore/upgrade" "$@"
