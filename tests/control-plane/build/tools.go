//go:build tools

// Package tools pins the upstream binaries the tests run: nothing of the project is written in Go.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
