// Package harness builds the rgrid-api and rgrid binaries once per test
// binary, starts real servers on real PostgreSQL and MinIO, mints accounts
// and keys through the admin commands, drives the CLI, and checks every HTTP
// response the suite sees against api/openapi.yaml.
//
// It is black-box on purpose: nothing here imports the api or cli modules,
// only the binaries and the shared common types.
package harness
