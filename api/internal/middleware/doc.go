// Package middleware holds the HTTP plumbing every rgrid-api request passes
// through: request ids, JSON logging with secret redaction, panic recovery,
// Prometheus metrics, API key authentication and the one error handler that
// turns every failure into a common.ErrorResponse.
package middleware
