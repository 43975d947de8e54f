module example.com/excludes

go 1.22

exclude golang.org/x/net v0.1.0

exclude (
	golang.org/x/net v0.2.0
	golang.org/x/net v0.1.0
	golang.org/x/crypto v0.3.0
)
