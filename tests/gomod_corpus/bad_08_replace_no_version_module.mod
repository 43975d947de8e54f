module example.com/bad

go 1.24

replace example.com/a => example.com/b
