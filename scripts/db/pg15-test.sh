#!/usr/bin/env bash
# Runs the pgTAP suite (supabase/tests/*.sql) on a throw-away PostgreSQL 15 cluster, the
# engine Supabase runs: initdb a temporary cluster, load the local bootstrap and every
# migration, then pg_prove. Exits non-zero on any failure. Works as root (the server runs
# as the `postgres` user, since initdb refuses root) or as any other user.
#   bash scripts/db/pg15-test.sh             pgTAP only
#   bash scripts/db/pg15-test.sh --with-api  also the supabase-js REST suite against the
#                                            local API running on this server (DATABASE_URL mode)
# Needs: postgresql-15 server binaries, postgresql-15-pgtap and pg_prove.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${PG15_BIN:-/usr/lib/postgresql/15/bin}
for tool in "$bin/initdb" "$bin/pg_ctl" "$bin/psql"; do
  [[ -x $tool ]] || { echo "pg15-test: $tool not found (install postgresql-15)" >&2; exit 2; }
done
command -v pg_prove >/dev/null || { echo "pg15-test: pg_prove not found (install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl)" >&2; exit 2; }

work=$(mktemp -d /tmp/reeldrive-pg15.XXXXXX)
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  as_server=(runuser -u postgres --)
  chown postgres: "$work"
fi

# A free port, so several runs (and other engineers' servers) never collide:
# a random one nothing answers on.
while :; do
  port=$((20000 + RANDOM % 40000))
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
done

cleanup() {
  "${as_server[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"${as_server[@]}" "$bin/initdb" -D "$work/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
"${as_server[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null \
  || { cat "$work/server.log" >&2; exit 1; }

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
psql_file() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -f "$1" >/dev/null; }

echo "# $("$bin/psql" -X -At -c 'select version()')"
psql_file "$repo/supabase/local/bootstrap.sql"
for migration in "$repo"/supabase/migrations/*.sql; do
  psql_file "$migration"
done
# Like `supabase test db`: pgTAP in schema extensions for the run.
"$bin/psql" -X -q -v ON_ERROR_STOP=1 -c 'create extension if not exists pgtap with schema extensions' >/dev/null

pg_prove --ext .sql -r "$repo/supabase/tests"

if [[ ${1:-} == --with-api ]]; then
  # A database of its own: the API applies bootstrap, migrations and seed itself.
  "$bin/psql" -X -q -c 'create database reeldrive_api' >/dev/null
  cd "$repo"
  SUPABASE_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/reeldrive_api" \
    npx vitest run --project integration emulators/supabase/tests/rest.test.ts
fi
