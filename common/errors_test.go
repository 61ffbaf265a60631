package common

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

var allCodes = []ErrorCode{
	CodeMissingAPIKey, CodeInvalidAPIKey, CodeRevokedAPIKey, CodeAccountSuspended,
	CodeInvalidRequest, CodeNotFound, CodeMethodNotAllowed, CodeRateLimited,
	CodeServiceUnavailable, CodeInternal,
}

func TestErrorCodeHTTPStatus(t *testing.T) {
	want := map[ErrorCode]int{
		CodeMissingAPIKey:      401,
		CodeInvalidAPIKey:      401,
		CodeRevokedAPIKey:      401,
		CodeAccountSuspended:   403,
		CodeInvalidRequest:     400,
		CodeNotFound:           404,
		CodeMethodNotAllowed:   405,
		CodeRateLimited:        429,
		CodeServiceUnavailable: 503,
		CodeInternal:           500,
		ErrorCode("no_such"):   500,
		ErrorCode(""):          500,
	}
	for code, status := range want {
		t.Run(string(code), func(t *testing.T) {
			if got := code.HTTPStatus(); got != status {
				t.Fatalf("%q.HTTPStatus() = %d, want %d", code, got, status)
			}
		})
	}
}

func TestErrorCodeKnown(t *testing.T) {
	for _, c := range allCodes {
		if !c.Known() {
			t.Errorf("%q should be known", c)
		}
	}
	for _, c := range []ErrorCode{"", "nope", "Invalid_API_Key"} {
		if c.Known() {
			t.Errorf("%q should not be known", c)
		}
	}
}

func TestCodeForStatus(t *testing.T) {
	tests := []struct {
		status int
		want   ErrorCode
	}{
		{http.StatusBadRequest, CodeInvalidRequest},
		{http.StatusUnauthorized, CodeInvalidAPIKey},
		{http.StatusForbidden, CodeAccountSuspended},
		{http.StatusNotFound, CodeNotFound},
		{http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{http.StatusTooManyRequests, CodeRateLimited},
		{http.StatusBadGateway, CodeServiceUnavailable},
		{http.StatusServiceUnavailable, CodeServiceUnavailable},
		{http.StatusGatewayTimeout, CodeServiceUnavailable},
		{http.StatusInternalServerError, CodeInternal},
		{http.StatusTeapot, CodeInternal},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			if got := CodeForStatus(tt.status); got != tt.want {
				t.Fatalf("CodeForStatus(%d) = %q, want %q", tt.status, got, tt.want)
			}
		})
	}
	// Every code maps back to itself through its own status when that status
	// is unambiguous.
	for _, c := range []ErrorCode{CodeInvalidRequest, CodeAccountSuspended, CodeNotFound,
		CodeMethodNotAllowed, CodeRateLimited, CodeServiceUnavailable, CodeInternal} {
		if got := CodeForStatus(c.HTTPStatus()); got != c {
			t.Errorf("round trip of %q gave %q", c, got)
		}
	}
}

func TestErrorRoundTrip(t *testing.T) {
	e := Errorf(CodeServiceUnavailable, "database down for %d s", 3)
	e.Details = map[string]any{"retry_after": float64(3)}
	if e.Error() != "database down for 3 s" {
		t.Fatalf("Error() = %q", e.Error())
	}
	if e.HTTPStatus() != 503 {
		t.Fatalf("HTTPStatus() = %d", e.HTTPStatus())
	}
	body, err := json.Marshal(e.Response())
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"error_code":"service_unavailable","message":"database down for 3 s","details":{"retry_after":3}}`
	if string(body) != want {
		t.Fatalf("wire form = %s, want %s", body, want)
	}
	var back ErrorResponse
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.AsError(); !reflect.DeepEqual(got, e) {
		t.Fatalf("AsError() = %#v, want %#v", got, e)
	}
}

func TestErrorResponseNullDetails(t *testing.T) {
	body, err := json.Marshal(Errorf(CodeNotFound, "no route").Response())
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"error_code":"not_found","message":"no route","details":null}` {
		t.Fatalf("wire form = %s", body)
	}
}
