// Package proto holds the ndxp contracts (.proto files) and the Go code
// generated from them. Regenerate with `go generate ./proto` from the
// repository root; the generator versions are pinned here and in go.mod.
package proto

//go:generate go run github.com/bufbuild/buf/cmd/buf@v1.75.0 generate
