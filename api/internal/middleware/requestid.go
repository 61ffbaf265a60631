package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id in and out.
const HeaderRequestID = "X-Request-ID"

const maxRequestIDLen = 128

// ValidRequestID reports whether id may be reused as a request id: 1 to 128
// characters of letters, digits and . _ : -
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// NewRequestID returns a random request id such as req_5f0c...
func NewRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go >= 1.24)
	return "req_" + hex.EncodeToString(b[:])
}

// Observe is the outermost middleware. It takes the request id from
// X-Request-ID when valid (else makes one), echoes it back, stores it as the
// correlation id, runs the request, hands any error to the error handler so
// the final status is known, then records metrics and writes one log line.
// The log line holds the method, route, status and timing: never headers.
func Observe(logger *slog.Logger, m *Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req := c.Request()
			id := req.Header.Get(HeaderRequestID)
			if len(req.Header.Values(HeaderRequestID)) != 1 || !ValidRequestID(id) {
				id = NewRequestID()
			}
			c.Response().Header().Set(HeaderRequestID, id)
			ctx := withRequestInfo(req.Context(), &requestInfo{correlationID: id})
			c.SetRequest(req.WithContext(ctx))

			if err := next(c); err != nil {
				c.Error(err)
			}

			status := c.Response().Status
			route := routeLabel(c)
			elapsed := time.Since(start)
			if m != nil {
				m.observeRequest(route, req.Method, status, elapsed)
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			if logger.Enabled(ctx, level) {
				// LogAttrs with typed attributes: no boxing of each value
				// into an any, and nothing built at all when the level is off.
				logger.LogAttrs(ctx, level, "request",
					slog.String("method", req.Method),
					slog.String("route", route),
					slog.String("path", req.URL.Path),
					slog.Int("status", status),
					slog.Float64("duration_ms", durationMS(elapsed)),
					slog.Int64("bytes_out", c.Response().Size),
					slog.String("remote_ip", c.RealIP()),
				)
			}
			return nil
		}
	}
}

// routeLabel is the route template of the request ("/health"), or
// "unmatched" when no route matched, so metrics never grow a label per URL.
func routeLabel(c echo.Context) string {
	p := c.Path()
	if p == "" || c.Response().Status == 404 && p == "/*" {
		return "unmatched"
	}
	return p
}
