module example.com/drive

go 1.24

replace example.com/lib => C:/src/lib
