module example.com/legacy

require github.com/pkg/errors v0.9.1
