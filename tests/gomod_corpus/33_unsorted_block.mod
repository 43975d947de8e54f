module example.com/unsorted

go 1.24

require (
	golang.org/x/text v0.20.0
	example.com/zzz v1.0.0
	example.com/aaa v1.0.0
)
