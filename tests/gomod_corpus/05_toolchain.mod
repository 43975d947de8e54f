module example.com/withtoolchain

go 1.25.3

toolchain go1.26.1
