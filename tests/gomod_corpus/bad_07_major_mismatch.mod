module example.com/bad

go 1.24

require example.com/a/v2 v1.0.0
