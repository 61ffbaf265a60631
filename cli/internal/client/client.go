// Package client is the CLI's HTTP client for the RGrid API. It speaks the
// types in common, sends the API key as a Bearer token, and turns every way a
// request can fail (no server, a timeout, a proxy's HTML page, an
// ErrorResponse) into an *Error whose message is one sentence for the user.
package client

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rgrid/rgrid/common"
)

// UserAgent is sent with every request.
const UserAgent = "rgrid-cli/" + common.Version

// Default timeouts. DefaultTimeout bounds a whole request, from dialling to
// reading the body; it is the one limit on waiting for the server's answer,
// so the "did not answer in time" message can name it truthfully. Opening
// the connection and the TLS handshake have their own, shorter limits (never
// longer than the overall one), reported by their own messages.
const (
	DefaultTimeout        = 20 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	DefaultTLSTimeout     = 5 * time.Second
	maxBody               = 1 << 20
)

// HelpURL is where users manage their API keys.
const HelpURL = "https://app.rgrid.dev/settings/api-keys"

// Options configure a Client.
type Options struct {
	// BaseURL is the API's address, such as http://localhost:8000.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>". It never appears in
	// an error message.
	APIKey string
	// AllowInsecureHTTP permits sending the key over plain http:// to a host
	// that is not this machine.
	AllowInsecureHTTP bool
	// Timeout bounds each request; zero means DefaultTimeout. The connect
	// and TLS handshake limits are DefaultConnectTimeout and
	// DefaultTLSTimeout, or Timeout when that is shorter.
	Timeout time.Duration
	// Transport replaces the default transport (tests).
	Transport http.RoundTripper
}

// Client calls the RGrid API.
type Client struct {
	base *url.URL
	key  string
	hc   *http.Client
	// connectTimeout and tlsTimeout are the phase limits of the default
	// transport, named in the messages when one of them runs out.
	connectTimeout time.Duration
	tlsTimeout     time.Duration
}

// New checks the options and returns a client. It refuses (with an *Error
// of kind KindInsecure) to send a key over http:// to a non-loopback host
// unless opts.AllowInsecureHTTP is set.
func New(opts Options) (*Client, error) {
	base, err := ParseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.APIKey != "" && base.Scheme == "http" && !IsLoopback(base.Hostname()) && !opts.AllowInsecureHTTP {
		return nil, &Error{Kind: KindInsecure, URL: base.String(), msg: fmt.Sprintf(
			"refusing to send your API key over plain http:// to %s, where anyone on the network could read it: use https://, or pass --allow-insecure-http (RGRID_ALLOW_INSECURE_HTTP=1) if you really mean it", base.Host)}
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	connectTimeout, tlsTimeout := min(DefaultConnectTimeout, timeout), min(DefaultTLSTimeout, timeout)
	tr := opts.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: tlsTimeout,
			// No ResponseHeaderTimeout: the overall timeout is the only
			// limit on waiting for the answer.
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       30 * time.Second,
			MaxIdleConns:          4,
			ForceAttemptHTTP2:     true,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		}
	}
	return &Client{
		base:           base,
		key:            opts.APIKey,
		connectTimeout: connectTimeout,
		tlsTimeout:     tlsTimeout,
		hc: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			// A redirect would resend the request (and maybe the key)
			// somewhere the user did not name; report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// BaseURL returns the API address the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Timeout returns the limit on one whole request, the value the "did not
// answer in time" message names.
func (c *Client) Timeout() time.Duration { return c.hc.Timeout }

// ValidateKey calls POST /api/v1/auth/validate with the client's key and
// returns the account it belongs to. API errors come back as an *Error of
// kind KindAPI wrapping a *common.Error with the server's code
// (invalid_api_key, revoked_api_key, account_suspended, ...).
func (c *Client) ValidateKey(ctx context.Context) (*common.AuthValidateResponse, error) {
	var out common.AuthValidateResponse
	if err := c.Do(ctx, http.MethodPost, common.PathAuthValidate, &out); err != nil {
		return nil, err
	}
	if out.AccountID == "" || out.Email == "" {
		return nil, &Error{Kind: KindBadResponse, URL: c.BaseURL(), Status: http.StatusOK, msg: fmt.Sprintf(
			"the server at %s answered 200 OK without an account id and e-mail (not an RGrid API?)", c.BaseURL())}
	}
	return &out, nil
}

// Do sends a request without a body to path and decodes a JSON answer into
// out. It returns ctx's error when ctx is cancelled, and an *Error otherwise.
func (c *Client) Do(ctx context.Context, method, path string, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u.String(), http.NoBody)
	if err != nil {
		return fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return c.transportError(ctx, err)
	}
	status := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if len(body) > maxBody {
			return &Error{Kind: KindBadResponse, URL: c.BaseURL(), Status: resp.StatusCode, msg: fmt.Sprintf(
				"the server at %s answered %s with an unexpectedly large body (not an RGrid API?)", c.BaseURL(), status)}
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(body, out); err != nil {
			return &Error{Kind: KindBadResponse, URL: c.BaseURL(), Status: resp.StatusCode, Err: err, msg: fmt.Sprintf(
				"the server at %s answered %s, but not with JSON the CLI can read (not an RGrid API?)", c.BaseURL(), status)}
		}
		return nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		where := ""
		if loc := resp.Header.Get("Location"); loc != "" {
			where = " to " + loc
		}
		return &Error{Kind: KindBadResponse, URL: c.BaseURL(), Status: resp.StatusCode, msg: fmt.Sprintf(
			"the server at %s answered %s, redirecting%s: set --api-url to the API's exact address", c.BaseURL(), status, where)}
	}
	var er common.ErrorResponse
	if json.Unmarshal(body, &er) != nil || er.ErrorCode == "" {
		return &Error{Kind: KindBadResponse, URL: c.BaseURL(), Status: resp.StatusCode, msg: fmt.Sprintf(
			"the server at %s answered %s (not an RGrid API?)", c.BaseURL(), status)}
	}
	e := &Error{Kind: KindAPI, URL: c.BaseURL(), Status: resp.StatusCode, API: er.AsError(),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	e.msg = e.apiSentence()
	return e
}

func (c *Client) transportError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		var oe *net.OpError
		switch {
		case errors.As(err, &oe) && oe.Op == "dial":
			return &Error{Kind: KindUnreachable, URL: c.BaseURL(), Err: err, msg: fmt.Sprintf(
				"could not reach the RGrid API at %s: is it running? (no connection within %s)", c.BaseURL(), c.connectTimeout)}
		case strings.Contains(err.Error(), "TLS handshake timeout"):
			return &Error{Kind: KindUnreachable, URL: c.BaseURL(), Err: err, msg: fmt.Sprintf(
				"could not connect securely to the RGrid API at %s: the TLS handshake took longer than %s", c.BaseURL(), c.tlsTimeout)}
		}
		return &Error{Kind: KindTimeout, URL: c.BaseURL(), Err: err, msg: fmt.Sprintf(
			"the RGrid API at %s did not answer in time (%s): is it overloaded, or behind a slow proxy?", c.BaseURL(), c.hc.Timeout)}
	}
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &recErr) {
		return &Error{Kind: KindUnreachable, URL: c.BaseURL(), Err: err, msg: fmt.Sprintf(
			"could not connect securely to the RGrid API at %s: %s", c.BaseURL(), cause(err))}
	}
	return &Error{Kind: KindUnreachable, URL: c.BaseURL(), Err: err, msg: fmt.Sprintf(
		"could not reach the RGrid API at %s: is it running? (%s)", c.BaseURL(), cause(err))}
}

// cause reduces a transport error to its last, most specific part.
func cause(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return certErr.Err.Error()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the connection was closed before an answer came"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// ParseBaseURL checks an API address: http or https, a host, no user name
// or password, no query or fragment. A trailing slash is dropped.
func ParseBaseURL(raw string) (*url.URL, error) {
	bad := func(why string) error {
		return &Error{Kind: KindBadURL, URL: raw, msg: fmt.Sprintf("the API URL %q is not usable: %s", raw, why)}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		return nil, bad("it is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, bad("it must start with http:// or https://")
	case u.Host == "" || u.Hostname() == "":
		return nil, bad("it has no host name")
	case u.User != nil:
		return nil, bad("it must not contain a user name or password")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, bad("it must not contain a query or fragment")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether host (a name or address, without port) is
// this machine: "localhost", 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
