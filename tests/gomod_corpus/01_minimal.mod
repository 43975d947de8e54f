module example.com/minimal

go 1.24
