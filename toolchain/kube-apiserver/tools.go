//go:build tools

// Package tools pins the main packages build.sh builds so `go mod tidy` keeps what they import:
// kube-apiserver, and kube-controller-manager for its service-account token controller.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
