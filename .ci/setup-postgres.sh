#!/usr/bin/env bash
# PostgreSQL server binaries for the SQL-source test (tests/test_sql.py): the test starts
# its own throw-away server on 127.0.0.1 (initdb + pg_ctl), so only the binaries are
# needed, not a running service. Debian's `postgresql` package, installed only when no
# initdb is on PATH or under /usr/lib/postgresql/*/bin. Run as root (CI) or with sudo;
# the test skips with a reason when no PostgreSQL binaries exist at all.
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-postgres: no apt-get here; install PostgreSQL (initdb, pg_ctl) for the SQL test" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "setup-postgres: not root and no sudo; the SQL-source test will be skipped" >&2
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# the package's own cluster is not needed; the test runs its own server
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb
