module example.com/bad

/* not allowed */
go 1.24
