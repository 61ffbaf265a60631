module github.com/rgrid/rgrid/runner

go 1.26
