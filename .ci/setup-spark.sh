#!/usr/bin/env bash
# Java for the Spark engine test (tests/test_engines.py): PySpark runs on a JVM (17+).
# Debian's openjdk-17-jre-headless, installed only when no java is on PATH or JAVA_HOME.
# Run as root (CI) or with sudo; without Java the Spark test fails and says why.
set -euo pipefail
if command -v java >/dev/null 2>&1 || { [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; }; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-spark: no apt-get here; install a Java 17 runtime yourself for the Spark test" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "setup-spark: not root and no sudo; install a Java 17 runtime for the Spark test" >&2
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
java -version 2>&1 | head -1
