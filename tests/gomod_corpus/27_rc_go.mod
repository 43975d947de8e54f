module example.com/prerelease

go 1.24rc1

toolchain go1.24rc2
