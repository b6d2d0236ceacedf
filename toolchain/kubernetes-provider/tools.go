//go:build tools

// Package tools pins the pulumi-kubernetes provider built for the real-engine tests; nothing here is
// compiled into the product.
package tools

import _ "github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes"
