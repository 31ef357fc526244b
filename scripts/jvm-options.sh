#!/usr/bin/env bash
# The options the vnet launcher starts java with, one per line: the parallel collector (dataplane/util/JvmOptions
# says why), unless the user chose a collector in JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS: the JVM refuses two.
set -euo pipefail
if [[ ! " ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-} " =~ -XX:\+Use(Serial|Parallel|G1|Z|Shenandoah|Epsilon)GC ]]; then
  echo "-XX:+UseParallelGC"
fi
