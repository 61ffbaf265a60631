module github.com/rgrid/rgrid/common

go 1.26
