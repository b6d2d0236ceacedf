//go:build tools

// Package tools pins the main package build.sh builds so `go mod tidy` keeps what it imports: the
// distribution registry, the real OCI registry the chart gate's tests push a chart to.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
