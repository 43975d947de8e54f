module (
	example.com/blockmodule
)

go 1.24
