package common

import (
	"fmt"
	"net/http"
)

// ErrorCode is the machine-readable code carried by every error response.
type ErrorCode string

// The error codes of the RGrid HTTP API (docs/design/DESIGN.md section 3).
const (
	CodeMissingAPIKey      ErrorCode = "missing_api_key"
	CodeInvalidAPIKey      ErrorCode = "invalid_api_key"
	CodeRevokedAPIKey      ErrorCode = "revoked_api_key"
	CodeAccountSuspended   ErrorCode = "account_suspended"
	CodeInvalidRequest     ErrorCode = "invalid_request"
	CodeNotFound           ErrorCode = "not_found"
	CodeMethodNotAllowed   ErrorCode = "method_not_allowed"
	CodeRateLimited        ErrorCode = "rate_limited"
	CodeServiceUnavailable ErrorCode = "service_unavailable"
	CodeInternal           ErrorCode = "internal_error"
)

// statusByCode is the one table that maps error codes to HTTP statuses.
// The server writes statuses from it and the client reads codes back with it.
var statusByCode = map[ErrorCode]int{
	CodeMissingAPIKey:      http.StatusUnauthorized,
	CodeInvalidAPIKey:      http.StatusUnauthorized,
	CodeRevokedAPIKey:      http.StatusUnauthorized,
	CodeAccountSuspended:   http.StatusForbidden,
	CodeInvalidRequest:     http.StatusBadRequest,
	CodeNotFound:           http.StatusNotFound,
	CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	CodeRateLimited:        http.StatusTooManyRequests,
	CodeServiceUnavailable: http.StatusServiceUnavailable,
	CodeInternal:           http.StatusInternalServerError,
}

// HTTPStatus returns the HTTP status for code; unknown codes map to 500.
func (c ErrorCode) HTTPStatus() int {
	if s, ok := statusByCode[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Known reports whether c is one of the codes above.
func (c ErrorCode) Known() bool {
	_, ok := statusByCode[c]
	return ok
}

// CodeForStatus returns the code a response with the given HTTP status
// most likely means, for responses that carry no ErrorResponse body
// (a proxy's HTML error page, say).
func CodeForStatus(status int) ErrorCode {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalidRequest
	case http.StatusUnauthorized:
		return CodeInvalidAPIKey
	case http.StatusForbidden:
		return CodeAccountSuspended
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return CodeServiceUnavailable
	default:
		return CodeInternal
	}
}

// ErrorResponse is the body of every non-2xx response of the API.
type ErrorResponse struct {
	ErrorCode ErrorCode      `json:"error_code"`
	Message   string         `json:"message"`
	Details   map[string]any `json:"details"`
}

// Error is an error with an API error code. Services return it, the server
// turns it into an ErrorResponse, and the CLI client decodes one back into it.
type Error struct {
	Code    ErrorCode
	Message string
	Details map[string]any
}

// Errorf returns an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error returns the human-readable message.
func (e *Error) Error() string { return e.Message }

// HTTPStatus returns the HTTP status for the error's code.
func (e *Error) HTTPStatus() int { return e.Code.HTTPStatus() }

// Response converts the error to its wire form.
func (e *Error) Response() ErrorResponse {
	return ErrorResponse{ErrorCode: e.Code, Message: e.Message, Details: e.Details}
}

// AsError converts an ErrorResponse back into an *Error.
func (r ErrorResponse) AsError() *Error {
	return &Error{Code: r.ErrorCode, Message: r.Message, Details: r.Details}
}
