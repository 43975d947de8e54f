module example.com/emptyblocks

go 1.24

require ()

replace (
)

tool (
)

exclude (
	// nothing yet
)
