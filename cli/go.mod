module github.com/rgrid/rgrid/cli

go 1.26.0

require golang.org/x/term v0.48.0

require golang.org/x/sys v0.50.0 // indirect

replace github.com/rgrid/rgrid/common => ../common
