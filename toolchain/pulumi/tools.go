//go:build tools

// Package tools pins the Pulumi CLI built for the tests; nothing here is compiled into the product.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
