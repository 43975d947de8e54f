module example.com/indirects

go 1.24

require (
	example.com/a v1.0.0 // indirect
	example.com/b v1.0.0 //indirect
	example.com/c v1.0.0 // indirect; needed by d
	example.com/d v1.0.0 // not indirect
	example.com/e v1.0.0 // indirectly used
	example.com/f v1.0.0
)

require example.com/g v1.1.0 // indirect
