// Deprecated: this comment is separated by a blank line and does not count.

module example.com/notdeprecated

go 1.24
