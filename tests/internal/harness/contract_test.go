package harness

import (
	"net/http"
	"strings"
	"testing"
)

// TestContractCheck proves the contract check can fail: each bad response
// below must be rejected, each good one accepted.
func TestContractCheck(t *testing.T) {
	c, err := NewContract("testdata/mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	jsonHdr := http.Header{"Content-Type": []string{"application/json"}}
	cases := []struct {
		name, method, url string
		status            int
		hdr               http.Header
		body              string
		ok                bool
	}{
		{"documented 200", "GET", "http://127.0.0.1:4321/health", 200, jsonHdr, `{"status":"healthy"}`, true},
		{"documented 503", "GET", "http://127.0.0.1:4321/health", 503, jsonHdr, `{"status":"unhealthy"}`, true},
		{"undocumented status", "GET", "http://127.0.0.1:4321/health", 500, jsonHdr, `{"status":"healthy"}`, false},
		{"wrong enum", "GET", "http://127.0.0.1:4321/health", 200, jsonHdr, `{"status":"fine"}`, false},
		{"extra field", "GET", "http://127.0.0.1:4321/health", 200, jsonHdr, `{"status":"healthy","x":1}`, false},
		{"not json", "GET", "http://127.0.0.1:4321/health", 200, http.Header{"Content-Type": []string{"text/html"}}, `<html>`, false},
		{"unknown route, error body", "GET", "http://127.0.0.1:4321/nope", 404, jsonHdr, `{"error_code":"not_found","message":"m","details":null}`, true},
		{"unknown route, html", "GET", "http://127.0.0.1:4321/nope", 404, http.Header{"Content-Type": []string{"text/html"}}, `<h1>404</h1>`, false},
		{"unknown route, wrong shape", "GET", "http://127.0.0.1:4321/nope", 404, jsonHdr, `{"message":"m"}`, false},
		{"wrong method, error body", "POST", "http://127.0.0.1:4321/health", 405, jsonHdr, `{"error_code":"method_not_allowed","message":"m"}`, true},
		{"unknown route answering 200", "GET", "http://127.0.0.1:4321/nope", 200, jsonHdr, `{}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Check(req, tc.status, tc.hdr, []byte(tc.body))
			if tc.ok && err != nil {
				t.Errorf("want accepted, got %v", err)
			}
			if !tc.ok && err == nil {
				t.Errorf("want rejected, got accepted")
			}
		})
	}
}

func TestSumMetric(t *testing.T) {
	const text = `# HELP rgrid_bcrypt_verifications_total x
# TYPE rgrid_bcrypt_verifications_total counter
rgrid_bcrypt_verifications_total{outcome="match"} 3
rgrid_bcrypt_verifications_total{outcome="mismatch"} 2
rgrid_bcrypt_verifications_total_other 100
`
	v, err := sumMetric(stringsReader(text), "rgrid_bcrypt_verifications_total")
	if err != nil || v != 5 {
		t.Fatalf("got %v, %v; want 5", v, err)
	}
	if _, err := sumMetric(stringsReader(text), "absent_metric"); err == nil {
		t.Fatal("a missing metric must be an error")
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// TestRepoContractLoads: api/openapi.yaml is valid OpenAPI 3, documents the
// two endpoints of the spec and has the ErrorResponse schema.
func TestRepoContractLoads(t *testing.T) {
	c := LoadContract(t)
	for _, p := range []string{"/health", "/api/v1/auth/validate"} {
		if c.doc.Paths.Value(p) == nil {
			t.Errorf("api/openapi.yaml does not document %s", p)
		}
	}
}
