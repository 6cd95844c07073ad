#!/usr/bin/env bash
# Builds the upstream command-line tools the delivery tests need from the Go module proxy, at pinned versions:
# helm (lint, template, install into the test control plane) and actionlint (the GitHub workflows).
# Cached outside the repository by version; prints the directory holding the binaries.
set -euo pipefail

HELM_VERSION=v3.22.0
ACTIONLINT_VERSION=v1.7.12
CACHE="${XC_TOOLS_CACHE:-${HOME:-/root}/.cache/exclusive-change}/go-tools"

install() {
  local name=$1 module=$2 version=$3
  local dir="$CACHE/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    command -v go >/dev/null || { echo "go-tools: Go is needed to build $name (Go 1.26 with the module proxy)" >&2; exit 1; }
    echo "go-tools: building $name $version into $dir (first time on this machine)" >&2
    mkdir -p "$dir"
    GOBIN="$dir" go install -trimpath -ldflags "-s -w" "$module@$version" >&2
  fi
  ln -sf "$dir/$name" "$CACHE/$name"
}

mkdir -p "$CACHE"
install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
install actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"
echo "$CACHE"
