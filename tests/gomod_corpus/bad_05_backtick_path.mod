module example.com/bad

go 1.24

tool `example.com/bad/cmd/x`
