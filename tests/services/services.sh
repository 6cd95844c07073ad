#!/usr/bin/env bash
# Private Postgres 15 and Redis 7 on loopback for the test suites, never the system services (and Debian's
# Chromium for the console's browser tests, installed when missing).
#   services.sh up     install when missing (as root), start on free ports, wait until ready, print exports
#                      (plus XC_SERVICES_STARTED=1 when this call started them, so callers stop only those)
#   services.sh down   stop what `up` started
#   services.sh env    print the exports of the running instances
# Idempotent: `up` on running instances only prints their exports. State lives in $XC_SERVICES_DIR.
# XC_SERVICES_TLS=1: both speak only TLS, with a CA and a server certificate for 127.0.0.1 and localhost made
# here by openssl (in $XC_SERVICES_DIR/tls, never committed); the exports then carry sslmode=verify-full and
# rediss:// URLs and the CA in DATABASE_CA_FILE and REDIS_CA_FILE (and NODE_EXTRA_CA_CERTS, for test helpers).
set -euo pipefail

STATE_DIR="${XC_SERVICES_DIR:-${TMPDIR:-/tmp}/exclusive-change-services-$(id -u)}"
PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
ENV_FILE="$STATE_DIR/env"
TLS_DIR="$STATE_DIR/tls"
TLS="${XC_SERVICES_TLS:-0}"

log() { echo "services: $*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

ensure_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=("postgresql-$PG_VERSION")
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v python3 >/dev/null || missing+=(python3)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v chromium >/dev/null || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]}. Install them as root: apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
  # The packages start system-wide instances; ours are private, so leave theirs alone but stopped.
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    systemctl stop redis-server postgresql >/dev/null 2>&1 || true
  fi
}

# Postgres refuses to run as root: as root, run it as the packaged `postgres` user.
as_pg_user() {
  # From /: the postgres user may not be allowed into the caller's working directory.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

running() {
  [ -f "$ENV_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  # the running instances' mode, whatever this call asked for
  if grep -q '^export XC_SERVICES_TLS=1' "$ENV_FILE"; then TLS=1; else TLS=0; fi
  as_pg_user "$PG_BIN/pg_ctl" status -D "$STATE_DIR/pg" >/dev/null 2>&1 &&
    redis_ping "$XC_REDIS_PORT" 2>/dev/null | grep -q PONG
}

redis_ping() {
  if [ "$TLS" = 1 ]; then
    redis-cli --tls --cacert "$TLS_DIR/ca.pem" -h 127.0.0.1 -p "$1" ping
  else
    redis-cli -p "$1" ping
  fi
}

# A CA and a server certificate it signs, for 127.0.0.1 and localhost (what tls.connect checks for verify-full).
make_certs() {
  # made again when missing or within a day of expiring (a state directory lives on between runs)
  if [ -f "$TLS_DIR/server.pem" ] && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.pem" >/dev/null; then
    return 0
  fi
  mkdir -p "$TLS_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=exclusive-change test CA" \
    -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$TLS_DIR/server.ext"
  openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -days 7 -extfile "$TLS_DIR/server.ext" -out "$TLS_DIR/server.pem" 2>/dev/null
  # Postgres wants its key private to its own user.
  cp "$TLS_DIR/server.key" "$TLS_DIR/pg-server.key"
  chmod 600 "$TLS_DIR/pg-server.key"
  chmod 644 "$TLS_DIR/server.key" "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem"
  chmod 755 "$TLS_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$TLS_DIR/pg-server.key"; fi
}

start_postgres() {
  local port=$1
  # Data, socket and log in folders the server's user owns.
  mkdir -p "$STATE_DIR/pg" "$STATE_DIR/pg-run"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$STATE_DIR/pg" "$STATE_DIR/pg-run"; fi
  if [ ! -f "$STATE_DIR/pg/PG_VERSION" ]; then
    as_pg_user "$PG_BIN/initdb" -D "$STATE_DIR/pg" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  local tls_options=""
  if [ "$TLS" = 1 ]; then
    # TCP only over TLS: a client that does not ask for it is refused.
    printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n' >"$STATE_DIR/pg/pg_hba.conf"
    tls_options="-c ssl=on -c ssl_cert_file=$TLS_DIR/server.pem -c ssl_key_file=$TLS_DIR/pg-server.key"
  fi
  as_pg_user "$PG_BIN/pg_ctl" start -w -t 60 -D "$STATE_DIR/pg" -l "$STATE_DIR/pg-run/postgres.log" -o \
    "-p $port -k $STATE_DIR/pg-run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 $tls_options" >/dev/null
}

start_redis() {
  local port=$1
  local listen=(--port "$port")
  if [ "$TLS" = 1 ]; then
    listen=(--port 0 --tls-port "$port" --tls-cert-file "$TLS_DIR/server.pem" --tls-key-file "$TLS_DIR/server.key"
      --tls-ca-cert-file "$TLS_DIR/ca.pem" --tls-auth-clients no)
  fi
  redis-server "${listen[@]}" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$STATE_DIR" --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log"
  for _ in $(seq 1 100); do
    redis_ping "$port" 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  log "redis did not become ready on port $port; see $STATE_DIR/redis.log"
  exit 1
}

print_env() { cat "$ENV_FILE"; }

up() {
  ensure_packages
  mkdir -p "$STATE_DIR"
  chmod 755 "$STATE_DIR"
  if running; then
    print_env
    return 0
  fi
  local pg_port redis_port
  pg_port=$(free_port)
  redis_port=$(free_port)
  if [ "$TLS" = 1 ]; then make_certs; fi
  start_postgres "$pg_port"
  start_redis "$redis_port"
  if [ "$TLS" = 1 ]; then
    cat >"$ENV_FILE" <<ENV
export XC_PG_PORT=$pg_port
export XC_REDIS_PORT=$redis_port
export XC_SERVICES_DIR=$STATE_DIR
export XC_SERVICES_TLS=1
export XC_TLS_DIR=$TLS_DIR
export DATABASE_ADMIN_URL='postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=verify-full&sslrootcert=$TLS_DIR/ca.pem'
export DATABASE_CA_FILE=$TLS_DIR/ca.pem
export REDIS_URL=rediss://127.0.0.1:$redis_port
export REDIS_CA_FILE=$TLS_DIR/ca.pem
export NODE_EXTRA_CA_CERTS=$TLS_DIR/ca.pem
ENV
  else
    cat >"$ENV_FILE" <<ENV
export XC_PG_PORT=$pg_port
export XC_REDIS_PORT=$redis_port
export XC_SERVICES_DIR=$STATE_DIR
export DATABASE_ADMIN_URL=postgres://postgres@127.0.0.1:$pg_port/postgres
export REDIS_URL=redis://127.0.0.1:$redis_port
ENV
  fi
  log "postgres on 127.0.0.1:$pg_port, redis on 127.0.0.1:$redis_port (state in $STATE_DIR)"
  print_env
  echo "export XC_SERVICES_STARTED=1"
}

down() {
  if [ -f "$STATE_DIR/pg/postmaster.pid" ]; then
    as_pg_user "$PG_BIN/pg_ctl" stop -m fast -D "$STATE_DIR/pg" >/dev/null 2>&1 || true
  fi
  if [ -f "$STATE_DIR/redis.pid" ]; then
    kill "$(cat "$STATE_DIR/redis.pid")" 2>/dev/null || true
    rm -f "$STATE_DIR/redis.pid"
  fi
  rm -f "$ENV_FILE"
  log "stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) running && print_env ;;
  *)
    echo "usage: $0 up|down|env" >&2
    exit 2
    ;;
esac
