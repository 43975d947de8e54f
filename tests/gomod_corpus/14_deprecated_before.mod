// Deprecated: use example.com/newdags instead.
module example.com/olddags

go 1.23
