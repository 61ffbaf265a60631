package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Contract is api/openapi.yaml, loaded and ready to check responses.
type Contract struct {
	doc         *openapi3.T
	router      routers.Router
	errorSchema *openapi3.Schema

	mu   sync.Mutex
	seen map[string]int // "METHOD path status" -> count
}

var (
	contractOnce sync.Once
	contract     *Contract
	contractErr  error
)

// LoadContract loads api/openapi.yaml once per test binary.
func LoadContract(tb testing.TB) *Contract {
	tb.Helper()
	c, err := loadContractOnce()
	if err != nil {
		tb.Fatalf("load api/openapi.yaml: %v", err)
	}
	return c
}

func loadContractOnce() (*Contract, error) {
	contractOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			contractErr = err
			return
		}
		contract, contractErr = NewContract(filepath.Join(root, "api", "openapi.yaml"))
	})
	return contract, contractErr
}

var registerDecoders sync.Once

// NewContract loads and validates the OpenAPI document at path.
func NewContract(path string) (*Contract, error) {
	// The documentation pages are HTML; kin-openapi only knows text/plain.
	registerDecoders.Do(func() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) })
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the document is not valid OpenAPI 3: %w", err)
	}
	// Match any host and port: the suite runs servers on free ports.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("build router: %w", err)
	}
	ref := doc.Components.Schemas["ErrorResponse"]
	if ref == nil || ref.Value == nil {
		return nil, errors.New("components.schemas.ErrorResponse is missing")
	}
	return &Contract{doc: doc, router: router, errorSchema: ref.Value, seen: map[string]int{}}, nil
}

// Check validates one response (with its already-read body) against the
// document. Documented routes go through openapi3filter.ValidateResponse with
// undocumented statuses treated as errors; unknown routes and wrong methods
// must answer with an ErrorResponse body.
func (c *Contract) Check(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := c.router.FindRoute(req)
	key := fmt.Sprintf("%s %s %d", req.Method, req.URL.Path, status)
	if err == nil {
		key = fmt.Sprintf("%s %s %d", req.Method, route.Path, status)
	}
	c.mu.Lock()
	c.seen[key]++
	c.mu.Unlock()

	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			return fmt.Errorf("find route: %w", err)
		}
		return c.checkErrorBody(status, header, body)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
			Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		return fmt.Errorf("%s %s -> %d does not match api/openapi.yaml: %w", req.Method, req.URL.Path, status, err)
	}
	return nil
}

func (c *Contract) checkErrorBody(status int, header http.Header, body []byte) error {
	if status < 400 {
		return fmt.Errorf("an undocumented route answered %d, want an error status", status)
	}
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("status %d: Content-Type %q, want application/json", status, header.Get("Content-Type"))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("status %d: body is not JSON: %w", status, err)
	}
	if err := c.errorSchema.VisitJSON(v); err != nil {
		return fmt.Errorf("status %d: body is not an ErrorResponse: %w", status, err)
	}
	return nil
}

// Seen returns "METHOD path status" -> count for every response checked so far.
func (c *Contract) Seen() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.seen))
	for k, v := range c.seen {
		out[k] = v
	}
	return out
}

// SeenSummary is Seen as sorted lines, for logs.
func (c *Contract) SeenSummary() []string {
	var lines []string
	for k, v := range c.Seen() {
		lines = append(lines, fmt.Sprintf("%s x%d", k, v))
	}
	sort.Strings(lines)
	return lines
}

// ValidatingTransport checks every response that passes through it against
// the contract and reports violations with tb.Errorf.
type ValidatingTransport struct {
	Base     http.RoundTripper
	Contract *Contract
	TB       testing.TB
}

// RoundTrip sends req, reads the whole body, checks it and hands back an
// equivalent response.
func (v *ValidatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.Base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if cerr := v.Contract.Check(req, resp.StatusCode, resp.Header, body); cerr != nil {
		v.TB.Errorf("contract: %v\nbody: %s", cerr, body)
	}
	return resp, nil
}

// NewClient returns an HTTP client that contract-checks every response.
func NewClient(tb testing.TB) *http.Client {
	tb.Helper()
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	base.MaxIdleConnsPerHost = 64
	tb.Cleanup(base.CloseIdleConnections)
	return &http.Client{
		Timeout:   60 * time.Second,
		Transport: &ValidatingTransport{Base: base, Contract: LoadContract(tb), TB: tb},
	}
}

// ValidatingProxy starts a reverse proxy to target that contract-checks every
// response, so traffic from the CLI is checked too. It returns the proxy URL.
func ValidatingProxy(tb testing.TB, target string) string {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatalf("parse %q: %v", target, err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil
	p := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		Transport: &ValidatingTransport{Base: base, Contract: LoadContract(tb), TB: tb},
	}
	srv := httptest.NewServer(p)
	tb.Cleanup(srv.Close)
	tb.Cleanup(base.CloseIdleConnections)
	return srv.URL
}
