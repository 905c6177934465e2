# Sourced by .ci/run (not run on its own): a throwaway PostgreSQL cluster for the PostgreSQL half
# of the store contract suite and the multi-instance test. Installs PostgreSQL with apt-get when
# initdb/pg_ctl are missing, starts a cluster in a temporary directory on a free loopback port
# (as the postgres user when CI runs as root: initdb refuses root), creates a login role with
# CREATEDB (every test run creates and drops its own database) and exports
# DISCOUNTS_TEST_PG_URL. The cluster is stopped and its directory removed on exit.
#
# Given DISCOUNTS_TEST_PG_URL already (a server of your own), it does nothing.

ci_pg_setup() {
  if [ -n "${DISCOUNTS_TEST_PG_URL:-}" ]; then
    echo "setup-postgres: DISCOUNTS_TEST_PG_URL is set; using that server"
    return 0
  fi
  local bin=""
  ci_pg_find_bin() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
      bin="$(dirname "$(readlink -f "$(command -v initdb)")")"
      [ -x "$bin/pg_ctl" ] && [ -x "$bin/psql" ] && return 0
    fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
      if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ]; then bin="$d"; return 0; fi
    done
    return 1
  }
  if ! ci_pg_find_bin; then
    echo "setup-postgres: initdb/pg_ctl not found: installing PostgreSQL with apt-get"
    if [ "$(id -u)" -ne 0 ]; then echo "setup-postgres: need root to apt-get install postgresql" >&2; return 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
    ci_pg_find_bin || { echo "setup-postgres: PostgreSQL installed but initdb/pg_ctl still not found" >&2; return 1; }
  fi

  # initdb and postgres refuse to run as root: run them as the postgres user then.
  local -a as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
    as=(runuser -u postgres --)
  fi

  local dir port
  dir="$(mktemp -d "${TMPDIR:-/tmp}/ci-postgres.XXXXXX")"
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  # A free loopback port (the kernel picks it; a tiny race with other processes is possible).
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

  "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  # Registered before start so a failed start still removes the directory.
  ci_on_exit "${as[*]} '$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1; rm -rf '$dir'"
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=200 -c fsync=on" start >/dev/null ||
    { cat "$dir/server.log" >&2; return 1; }

  "${as[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
    -c "create role discounts login createdb password 'discounts'" \
    -c "create database discounts owner discounts" || return 1

  export DISCOUNTS_TEST_PG_URL="postgres://discounts:discounts@127.0.0.1:$port/discounts"
  echo "setup-postgres: PostgreSQL $("$bin/postgres" -V | awk "{print \$3}") on 127.0.0.1:$port (data in $dir); DISCOUNTS_TEST_PG_URL exported"
}
ci_pg_setup
