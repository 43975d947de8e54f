module example.com/bad

go 1.24

require (
	example.com/a v1.0.0
