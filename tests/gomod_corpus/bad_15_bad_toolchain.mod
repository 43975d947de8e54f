module example.com/bad

go 1.24

toolchain 1.26.1
