module example.com/dupreplace

go 1.24

replace example.com/lib => ../lib-old

replace example.com/lib => ../lib-new

replace example.com/lib v1.0.0 => ../lib-v1
