#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the test suites: initdb into DIR, owned by an
# unprivileged user, listening only on 127.0.0.1:PORT with trust auth.
#   scripts/pg.sh start DIR PORT   -> prints the connection URL
#   scripts/pg.sh stop DIR
set -euo pipefail
cmd=$1 dir=$2
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    port=$3
    rm -rf "$dir"; mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
    as_owner "$PGBIN/initdb" -D "$dir/data" -U settle --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U settle settle_test
    echo "postgresql://settle@127.0.0.1:$port/settle_test"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
