#!/usr/bin/env bash
# A real Kubernetes control plane for the tests, the way envtest runs one: etcd and kube-apiserver as two
# local processes on loopback (no Docker, no kubelet, no controller-manager), an admin kubeconfig, our CRDs.
#   control-plane.sh up     build the binaries when missing, start both, wait for readiness, print exports
#   control-plane.sh down   stop what `up` started
#   control-plane.sh env    print the exports of the running control plane
# Idempotent like tests/services/services.sh; state lives in $XC_CONTROL_PLANE_DIR.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE_DIR="${XC_CONTROL_PLANE_DIR:-${TMPDIR:-/tmp}/exclusive-change-control-plane-$(id -u)}"
ENV_FILE="$STATE_DIR/env"

log() { echo "control-plane: $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

running() {
  [ -f "$ENV_FILE" ] || return 1
  grep -q XC_OPERATOR_KUBECONFIG "$ENV_FILE" || return 1 # an older run of this script: start afresh
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  kill -0 "$(cat "$STATE_DIR/etcd.pid")" 2>/dev/null && kill -0 "$(cat "$STATE_DIR/apiserver.pid")" 2>/dev/null &&
    "$XC_KUBECTL" --kubeconfig "$KUBECONFIG" get --raw /readyz >/dev/null 2>&1
}

wait_for() {
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "$what did not become ready in ${seconds}s; logs in $STATE_DIR"
  tail -20 "$STATE_DIR/$what.log" >&2 || true
  exit 1
}

up() {
  if running; then
    cat "$ENV_FILE"
    return 0
  fi
  local bin etcd_port peer_port api_port token operator_token alice_token bob_token
  bin=$("$HERE/build-binaries.sh")
  rm -rf "$STATE_DIR"
  mkdir -p "$STATE_DIR/etcd" "$STATE_DIR/certs"
  etcd_port=$(free_port)
  peer_port=$(free_port)
  api_port=$(free_port)
  token=$(openssl rand -hex 24)
  operator_token=$(openssl rand -hex 24)
  alice_token=$(openssl rand -hex 24)
  bob_token=$(openssl rand -hex 24)

  "$bin/etcd" --data-dir "$STATE_DIR/etcd" --name xc-test \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "xc-test=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn \
    >"$STATE_DIR/etcd.log" 2>&1 &
  echo $! >"$STATE_DIR/etcd.pid"
  wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_port/health"

  # By static token: an admin (group system:masters); the operator as the chart's service account would be
  # authenticated (the actor policy exempts that user); two people with no rights until a test grants some.
  # Service-account signing keys of our own.
  {
    echo "$token,xc-admin,xc-admin,system:masters"
    echo "$operator_token,system:serviceaccount:exclusive-change:exclusive-change-operator,xc-operator,system:masters"
    echo "$alice_token,alice,alice,xc-test-people"
    echo "$bob_token,bob,bob,xc-test-people"
  } >"$STATE_DIR/tokens.csv"
  openssl genrsa -out "$STATE_DIR/certs/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE_DIR/certs/sa.key" -pubout -out "$STATE_DIR/certs/sa.pub" 2>/dev/null
  # envtest's flags: loopback only, RBAC, a self-signed serving certificate in --cert-dir.
  "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$STATE_DIR/certs" \
    --token-auth-file "$STATE_DIR/tokens.csv" --authorization-mode RBAC \
    --service-cluster-ip-range 10.0.0.0/24 --allow-privileged=true \
    --service-account-issuer "https://127.0.0.1:$api_port" --service-account-key-file "$STATE_DIR/certs/sa.pub" \
    --service-account-signing-key-file "$STATE_DIR/certs/sa.key" \
    --disable-admission-plugins ServiceAccount --enable-priority-and-fairness=false --endpoint-reconciler-type none \
    >"$STATE_DIR/apiserver.log" 2>&1 &
  echo $! >"$STATE_DIR/apiserver.pid"

  cat >"$STATE_DIR/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: xc-test
    cluster: { server: "https://127.0.0.1:$api_port", certificate-authority: "$STATE_DIR/certs/apiserver.crt" }
users:
  - name: xc-admin
    user: { token: "$token" }
contexts:
  - name: xc-test
    context: { cluster: xc-test, user: xc-admin, namespace: default }
current-context: xc-test
KUBECONFIG
  sed -e "s/$token/$operator_token/" -e 's/name: xc-admin/name: xc-operator/' -e 's/user: xc-admin/user: xc-operator/' \
    "$STATE_DIR/kubeconfig" >"$STATE_DIR/operator.kubeconfig"
  wait_for apiserver 60 "$bin/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" get --raw /readyz
  "$bin/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" apply --server-side -f "$ROOT/crds/" >/dev/null
  wait_for apiserver 30 "$bin/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" wait --for condition=Established --timeout 1s \
    crd/featureflags.flags.exclusive-change.io crd/environments.flags.exclusive-change.io
  # Established comes before the API server serves the kinds ("Resource kind ... not found. There can be a delay
  # between when CustomResourceDefinitions are created and when they are available", seen by a bench's first
  # create): wait until both can be listed.
  wait_for apiserver 30 "$bin/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" get --all-namespaces \
    featureflags.flags.exclusive-change.io,environments.flags.exclusive-change.io

  cat >"$ENV_FILE" <<ENV
export KUBECONFIG=$STATE_DIR/kubeconfig
export XC_KUBECTL=$bin/kubectl
export XC_CONTROL_PLANE_BIN=$bin
export XC_CONTROL_PLANE_DIR=$STATE_DIR
export XC_ETCD_URL=http://127.0.0.1:$etcd_port
export XC_OPERATOR_KUBECONFIG=$STATE_DIR/operator.kubeconfig
export XC_PEOPLE_TOKENS=alice:$alice_token,bob:$bob_token
ENV
  log "kube-apiserver on https://127.0.0.1:$api_port, etcd on 127.0.0.1:$etcd_port (state in $STATE_DIR)"
  cat "$ENV_FILE"
  echo "export XC_CONTROL_PLANE_STARTED=1"
}

stop_pid() {
  local file=$1
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

down() {
  stop_pid "$STATE_DIR/apiserver.pid"
  stop_pid "$STATE_DIR/etcd.pid"
  rm -f "$ENV_FILE"
  log "stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) running && cat "$ENV_FILE" ;;
  *)
    echo "usage: $0 up|down|env" >&2
    exit 2
    ;;
esac
