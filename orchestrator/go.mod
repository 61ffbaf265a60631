module github.com/rgrid/rgrid/orchestrator

go 1.26
