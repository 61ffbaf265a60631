package client

import (
	"fmt"
	"net/url"
	"time"

	"github.com/rgrid/rgrid/common"
)

// Kind says how a request failed.
type Kind int

// The kinds of failure.
const (
	KindAPI         Kind = iota + 1 // the API answered with an ErrorResponse
	KindUnreachable                 // no connection (refused, DNS, TLS)
	KindTimeout                     // no answer in time
	KindBadResponse                 // an answer that is not the RGrid API's
	KindBadURL                      // the API URL itself is unusable
	KindInsecure                    // the key would travel over plain http
)

// Error is a failed request. Its message is one sentence meant for the user
// and never contains the API key.
type Error struct {
	Kind   Kind
	URL    string
	Status int
	// API is the decoded ErrorResponse, for KindAPI.
	API *common.Error
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Err is the underlying cause, for transport failures.
	Err error
	msg string
}

// Error returns the sentence for the user.
func (e *Error) Error() string { return e.msg }

// Unwrap returns the *common.Error for API errors, else the cause.
func (e *Error) Unwrap() error {
	if e.API != nil {
		return e.API
	}
	return e.Err
}

// Code returns the API error code, or "" when the API did not answer with one.
func (e *Error) Code() common.ErrorCode {
	if e.API == nil {
		return ""
	}
	return e.API.Code
}

func (e *Error) apiSentence() string {
	retry := ""
	if e.RetryAfter > 0 {
		retry = fmt.Sprintf(" in %s", e.RetryAfter)
	}
	server := ""
	if e.API.Message != "" {
		server = " (the server said: " + e.API.Message + ")"
	}
	switch e.API.Code {
	case common.CodeInvalidAPIKey:
		return "the API key was not accepted: check that you copied all of it, or create a new one at " + HelpURL + e.devKeyHint()
	case common.CodeRevokedAPIKey:
		return "this API key has been revoked: create a new one at " + HelpURL + e.devKeyHint()
	case common.CodeMissingAPIKey:
		return "the server did not receive an API key (a proxy may have dropped the Authorization header)" + server
	case common.CodeAccountSuspended:
		return "the account for this API key is suspended" + server
	case common.CodeRateLimited:
		return "too many requests: try again" + or(retry, " shortly")
	case common.CodeServiceUnavailable:
		return fmt.Sprintf("the RGrid API at %s is temporarily unavailable%s: try again%s", e.URL, server, or(retry, " shortly"))
	case common.CodeInternal:
		return fmt.Sprintf("the RGrid API at %s had an internal error%s", e.URL, server)
	default:
		return fmt.Sprintf("the RGrid API at %s answered %d %s%s", e.URL, e.Status, e.API.Code, server)
	}
}

// DevKeyHint is added to the invalid and revoked key sentences when the API
// runs on this machine (a local `rgrid-api dev` server), whose keys come from
// the server itself rather than from app.rgrid.dev.
const DevKeyHint = "; for a local dev server, restart it with `rgrid-api dev --new-key` to get a new key, " +
	"or mint one with `rgrid-api keys create --account ACCOUNT_ID --data-dir .rgrid-dev` (the dev account id is in the server's banner)"

func (e *Error) devKeyHint() string {
	if u, err := url.Parse(e.URL); err == nil && IsLoopback(u.Hostname()) {
		return DevKeyHint
	}
	return ""
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
