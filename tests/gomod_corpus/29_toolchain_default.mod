module example.com/tcdefault

go 1.24.0

toolchain default
