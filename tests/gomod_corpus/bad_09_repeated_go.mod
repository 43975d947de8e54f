module example.com/bad

go 1.24
go 1.25
