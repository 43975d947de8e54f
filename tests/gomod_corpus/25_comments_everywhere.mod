// File header comment.

// Another free-floating comment.
module example.com/comments // module suffix

// Before go.
go 1.24 // go suffix

require ( // after the paren
	// before a
	example.com/a v1.0.0 // a suffix

	// after a blank line
	example.com/b v1.0.0
	// dangling at the end of the block
) // after the closing paren

// trailing comment at the end of the file
