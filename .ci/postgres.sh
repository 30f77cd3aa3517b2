# Sourced by .ci/run: a throwaway PostgreSQL server for the database tests, on a unix socket in a
# temp folder (no TCP port, no password, nothing left behind), and GAIA_TEST_DATABASE_URL naming it.
# Debian's packages when none is installed; initdb + pg_ctl directly (no systemd, no cluster config).

start_test_postgres() {
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$initdb" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "   installing PostgreSQL from Debian's packages"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
  fi
  if [ -z "$initdb" ]; then
    echo "   no PostgreSQL (initdb) here: the PostgreSQL variants of the database tests are skipped"
    return 0
  fi
  local bin dir as
  bin=$(dirname "$initdb")
  dir=$(mktemp -d "${TMPDIR:-/tmp}/gaia-ci-pg.XXXXXX")
  # initdb refuses to run as root: as root, the server belongs to the postgres user.
  as=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; as=(runuser -u postgres --); fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log"
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -c listen_addresses='' -p 5432 -c fsync=off" start >/dev/null
  CI_POSTGRES_STOP=("${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop)
  CI_POSTGRES_DIR=$dir
  export GAIA_TEST_DATABASE_URL="postgres://postgres@localhost/postgres?host=$dir"
  echo "   $("$bin/postgres" --version) on the socket in $dir"
}

stop_test_postgres() {
  if [ -n "${CI_POSTGRES_DIR:-}" ]; then
    "${CI_POSTGRES_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$CI_POSTGRES_DIR"
  fi
}
