#!/usr/bin/env bash
# Builds the upstream binaries of the test control plane from the Go module proxy, as envtest's binaries are
# built: kube-apiserver and kubectl from k8s.io/kubernetes (through the wrapper module in build/, which
# replaces each staging module with its published tag) and etcd at the version Kubernetes pins.
# Cached outside the repository by version, so only the first build on a machine pays (about 4 minutes).
# Prints the directory holding the binaries.
set -euo pipefail
cd "$(dirname "$0")/build"

KUBERNETES_VERSION=$(sed -n 's/^\tk8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' go.mod)
CACHE="${XC_TOOLS_CACHE:-${HOME:-/root}/.cache/exclusive-change}/control-plane/$KUBERNETES_VERSION"
minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done

build() {
  local name=$1 package=$2
  [ -x "$CACHE/$name" ] && return 0
  command -v go >/dev/null || { echo "control-plane: Go is needed to build $name (Go 1.26 with the module proxy)" >&2; exit 1; }
  echo "control-plane: building $name $KUBERNETES_VERSION into $CACHE (first time on this machine)" >&2
  mkdir -p "$CACHE"
  GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$CACHE/$name.tmp" "$package" >&2
  mv "$CACHE/$name.tmp" "$CACHE/$name"
}

build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kubectl k8s.io/kubernetes/cmd/kubectl
echo "$CACHE"
