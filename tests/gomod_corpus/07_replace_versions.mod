module example.com/replaces

go 1.22

require (
	golang.org/x/net v0.30.0
	golang.org/x/text v0.20.0
)

replace golang.org/x/net v0.30.0 => golang.org/x/net v0.29.0

replace (
	golang.org/x/text => github.com/fork/text v0.21.0
	example.com/old v1.2.3 => ./vendor-fork/old
)
