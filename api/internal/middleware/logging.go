package middleware

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// requestInfo is the per-request state the log handler adds to every line.
type requestInfo struct {
	correlationID string
	accountID     atomic.Pointer[string]
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, info *requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

func infoFrom(ctx context.Context) *requestInfo {
	if ctx == nil {
		return nil
	}
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// CorrelationID returns the request id stored in ctx, or "".
func CorrelationID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.correlationID
	}
	return ""
}

// setAccountID makes every later log line of the request carry account_id.
func setAccountID(ctx context.Context, id string) {
	if info := infoFrom(ctx); info != nil {
		info.accountID.Store(&id)
	}
}

var (
	// Anything that looks like an API key, complete or not.
	apiKeyPattern = regexp.MustCompile(`sk_live_[A-Za-z0-9]*`)
	// Credentials after an HTTP auth scheme.
	authSchemePattern = regexp.MustCompile(`(?i)\b(bearer|basic|token)([ \t]+)[^\s"',;]+`)
)

// Redact removes API keys and Authorization credentials from s.
func Redact(s string) string {
	if strings.Contains(s, "sk_live_") {
		s = apiKeyPattern.ReplaceAllString(s, "sk_live_[REDACTED]")
	}
	if strings.ContainsAny(s, " \t") {
		s = authSchemePattern.ReplaceAllString(s, "$1$2[REDACTED]")
	}
	return s
}

// NewLogger returns the rgrid JSON logger: one object per line with
// timestamp, level, component, message and, inside a request, correlation_id
// and account_id. Every string it writes passes through Redact, so an API key
// that reaches a log call by mistake is still never written.
func NewLogger(w io.Writer, level slog.Leveler, component string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replaceAttr})
	return slog.New(&contextHandler{Handler: h, component: component})
}

func replaceAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey:
			return slog.String("timestamp", a.Value.Time().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
		case slog.MessageKey:
			return slog.String("message", Redact(a.Value.String()))
		case slog.LevelKey:
			return a
		}
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(a.Value.String()))
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case error:
			return slog.String(a.Key, Redact(v.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, Redact(v.String()))
		case []byte:
			return slog.String(a.Key, Redact(string(v)))
		default:
			return slog.String(a.Key, Redact(fmt.Sprint(v)))
		}
	}
	return a
}

// contextHandler adds component (exactly once: a logger.With("component",
// ...) further down, or a "component" attribute of the call itself, replaces
// it rather than repeating the key) and the request's correlation_id and
// account_id.
type contextHandler struct {
	slog.Handler
	component string
	grouped   bool // a group is open: attrs no longer sit at the top level
}

func (h *contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.grouped {
		r = h.withComponent(r)
	}
	if info := infoFrom(ctx); info != nil {
		r.AddAttrs(slog.String("correlation_id", info.correlationID))
		if id := info.accountID.Load(); id != nil {
			r.AddAttrs(slog.String("account_id", *id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

// withComponent returns r with one component attribute at the end: the
// record's own (the last, if the call passed several) or the handler's.
func (h *contextHandler) withComponent(r slog.Record) slog.Record {
	own := false
	r.Attrs(func(a slog.Attr) bool {
		own = a.Key == "component"
		return !own
	})
	if !own {
		r.AddAttrs(slog.String("component", h.component))
		return r
	}
	component := h.component
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "component" {
			component = a.Value.String()
		} else {
			out.AddAttrs(a)
		}
		return true
	})
	out.AddAttrs(slog.String("component", component))
	return out
}

func (h *contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := *h
	if !h.grouped {
		kept := make([]slog.Attr, 0, len(as))
		for _, a := range as {
			if a.Key == "component" {
				out.component = a.Value.String()
				continue
			}
			kept = append(kept, a)
		}
		as = kept
	}
	out.Handler = h.Handler.WithAttrs(as)
	return &out
}

func (h *contextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	out := *h
	if !h.grouped {
		// Attrs of this group's records nest under name; the component
		// must be written before the group opens.
		out.Handler = h.Handler.WithAttrs([]slog.Attr{slog.String("component", h.component)})
		out.grouped = true
	}
	out.Handler = out.Handler.WithGroup(name)
	return &out
}

// durationMS renders d in milliseconds with microsecond precision.
func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
