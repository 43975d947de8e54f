"""The Go side: finding a toolchain, reading go.mod, go list, and asking a binary for its DAGs."""
