#!/usr/bin/env bash
# Private Postgres 15 and Redis 7 on loopback for the test suites, never the system services (and Debian's
# Chromium for the console's browser tests, installed when missing).
#   services.sh up     install when missing (as root), start on free ports, wait until ready, print exports
#                      (plus XC_SERVICES_STARTED=1 when this call started them, so callers stop only those)
#   services.sh down   stop what `up` started
#   services.sh env    print the exports of the running instances
# Idempotent: `up` on running instances only prints their exports. State lives in $XC_SERVICES_DIR.
set -euo pipefail

STATE_DIR="${XC_SERVICES_DIR:-${TMPDIR:-/tmp}/exclusive-change-services-$(id -u)}"
PG_VERSION=15
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
ENV_FILE="$STATE_DIR/env"

log() { echo "services: $*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

ensure_packages() {
  local missing=()
  [ -x "$PG_BIN/postgres" ] || missing+=("postgresql-$PG_VERSION")
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v python3 >/dev/null || missing+=(python3)
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
  as_pg_user "$PG_BIN/pg_ctl" status -D "$STATE_DIR/pg" >/dev/null 2>&1 &&
    redis-cli -p "$XC_REDIS_PORT" ping 2>/dev/null | grep -q PONG
}

start_postgres() {
  local port=$1
  # Data, socket and log in folders the server's user owns.
  mkdir -p "$STATE_DIR/pg" "$STATE_DIR/pg-run"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$STATE_DIR/pg" "$STATE_DIR/pg-run"; fi
  if [ ! -f "$STATE_DIR/pg/PG_VERSION" ]; then
    as_pg_user "$PG_BIN/initdb" -D "$STATE_DIR/pg" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_pg_user "$PG_BIN/pg_ctl" start -w -t 60 -D "$STATE_DIR/pg" -l "$STATE_DIR/pg-run/postgres.log" -o \
    "-p $port -k $STATE_DIR/pg-run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
}

start_redis() {
  local port=$1
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$STATE_DIR" --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log"
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
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
  start_postgres "$pg_port"
  start_redis "$redis_port"
  cat >"$ENV_FILE" <<ENV
export XC_PG_PORT=$pg_port
export XC_REDIS_PORT=$redis_port
export XC_SERVICES_DIR=$STATE_DIR
export DATABASE_ADMIN_URL=postgres://postgres@127.0.0.1:$pg_port/postgres
export REDIS_URL=redis://127.0.0.1:$redis_port
ENV
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
