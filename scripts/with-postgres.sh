#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster in a temporary folder, with
# QOLTANBA_TEST_DATABASE_URL pointing at it; the cluster is stopped and removed afterwards.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(mktemp -d /tmp/qoltanba-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"

stop() {
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

# Tests need no durability; a benchmark (QOLTANBA_PG_DEFAULTS=1) measures PostgreSQL as it ships.
durability="-c fsync=off"
[ "${QOLTANBA_PG_DEFAULTS:-0}" = 1 ] && durability=""

as_postgres "$bin/initdb" -D "$dir/data" -U qoltanba -A trust -E UTF8 --no-sync >/dev/null
as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 $durability" start >/dev/null
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

export QOLTANBA_TEST_DATABASE_URL="postgres://qoltanba@127.0.0.1:$port/postgres?sslmode=disable"
"$@"
