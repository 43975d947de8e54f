module example.com/godebug

go 1.23

godebug default=go1.21

godebug (
	panicnil=1
	asynctimerchan=0
)
