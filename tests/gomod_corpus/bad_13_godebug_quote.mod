module example.com/bad

godebug "panicnil=1"
