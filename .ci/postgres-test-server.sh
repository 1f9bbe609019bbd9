# Sourced by .ci/run (bash): a throwaway PostgreSQL 15 with pgvector on a free loopback port for the gallery-store tests.
#   start_test_postgres   installs what is missing, starts the cluster, exports FASHIONNET_TEST_POSTGRES
#   stop_test_postgres    stops the cluster and removes its folder (safe to call twice, or when nothing started)
# Without ../shared/vendor (a user's clone) nothing is started: the PostgreSQL tests then skip with a message.

test_postgres_dir=""
test_postgres_bin=/usr/lib/postgresql/15/bin

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# initdb refuses to run as root: the cluster runs as the postgres user the Debian package creates.
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

start_test_postgres() {
  local vendor tarball
  vendor="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/vendor"
  tarball="$vendor/pgvector-0.8.6.tar.gz"
  if [ ! -f "$tarball" ]; then
    echo "no $tarball (../shared/vendor is absent): no PostgreSQL server for the tests; the gallery-store tests will skip"
    return 0
  fi

  if ! dpkg -s postgresql-15 postgresql-server-dev-15 >/dev/null 2>&1; then
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 postgresql-server-dev-15
  fi

  local control=/usr/share/postgresql/15/extension/vector.control
  if grep -q "default_version = '0.8.6'" "$control" 2>/dev/null; then
    echo "pgvector 0.8.6 is installed already"
  else
    local build
    build=$(mktemp -d)
    tar -xzf "$tarball" -C "$build"
    # OPTFLAGS="" leaves out -march=native, so the build runs on any x86-64 (../shared/vendor/README.md).
    make -s -C "$build/pgvector-0.8.6" OPTFLAGS="" >/dev/null
    as_root make -s -C "$build/pgvector-0.8.6" install >/dev/null
    rm -rf "$build"
    echo "built and installed pgvector 0.8.6"
  fi

  test_postgres_dir=$(mktemp -d /tmp/fashionnet-pg.XXXXXX)
  chown postgres:postgres "$test_postgres_dir" 2>/dev/null || as_root chown postgres:postgres "$test_postgres_dir"
  as_postgres "$test_postgres_bin/initdb" -D "$test_postgres_dir/data" -A trust -U postgres >/dev/null

  # A free port: try a few at random in a range nothing else here uses; pg_ctl fails on a taken one.
  local port attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 20000))
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    if as_postgres "$test_postgres_bin/pg_ctl" -D "$test_postgres_dir/data" -l "$test_postgres_dir/server.log" -w -t 30 \
        -o "-p $port -k $test_postgres_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null; then
      export FASHIONNET_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
      echo "PostgreSQL 15 with pgvector on 127.0.0.1:$port (FASHIONNET_TEST_POSTGRES)"
      return 0
    fi
  done
  echo "could not start the test PostgreSQL server; its log:" >&2
  cat "$test_postgres_dir/server.log" >&2 || true
  return 1
}

stop_test_postgres() {
  [ -n "$test_postgres_dir" ] || return 0
  as_postgres "$test_postgres_bin/pg_ctl" -D "$test_postgres_dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$test_postgres_dir"
  test_postgres_dir=""
}
