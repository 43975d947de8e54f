module example.com/parens

go 1.24

retract [v1.0.0,v1.0.5]
