package middleware

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rgrid/rgrid/common"
)

// Metrics holds the Prometheus collectors of the server, in a registry of
// its own so several servers (tests) can live in one process.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	auth     *prometheus.CounterVec
	bcrypt   *prometheus.CounterVec
}

// NewMetrics creates and registers the collectors, plus the Go runtime and
// process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rgrid_http_requests_total",
			Help: "HTTP requests by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rgrid_http_request_duration_seconds",
			Help:    "HTTP request latency by route template, method and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rgrid_auth_outcomes_total",
			Help: "API key authentication outcomes: success or the error code.",
		}, []string{"outcome"}),
		bcrypt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rgrid_bcrypt_verifications_total",
			Help: "bcrypt comparisons run to verify API keys, by result (match, mismatch).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(m.requests, m.duration, m.auth, m.bcrypt,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Expose every label value of the counters at zero from the start, so
	// a scrape sees them before the first authentication or bcrypt, and
	// rate() and increase() see a counter's first increment.
	for _, r := range bcryptResults {
		m.bcrypt.WithLabelValues(r)
	}
	for _, o := range AuthOutcomes {
		m.auth.WithLabelValues(o)
	}
	return m
}

// bcryptResults are the values of the result label of
// rgrid_bcrypt_verifications_total.
var bcryptResults = []string{"match", "mismatch"}

// AuthOutcomes are the values of the outcome label of
// rgrid_auth_outcomes_total: success, or the code of every error the Auth
// middleware can answer with.
var AuthOutcomes = []string{
	"success",
	string(common.CodeMissingAPIKey),
	string(common.CodeInvalidAPIKey),
	string(common.CodeRevokedAPIKey),
	string(common.CodeAccountSuspended),
	string(common.CodeInvalidRequest),
	string(common.CodeServiceUnavailable),
	string(common.CodeInternal),
}

// RegisterDB exports the pool statistics of db (sql.DBStats) as gauges and
// counters named go_sql_*{db_name="rgrid"}.
func (m *Metrics) RegisterDB(db *sql.DB) error {
	return m.Registry.Register(collectors.NewDBStatsCollector(db, "rgrid"))
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveBcrypt counts one bcrypt comparison.
func (m *Metrics) ObserveBcrypt(match bool) {
	r := "mismatch"
	if match {
		r = "match"
	}
	m.bcrypt.WithLabelValues(r).Inc()
}

// BcryptCount returns how many bcrypt comparisons ran (for tests and logs).
func (m *Metrics) BcryptCount() float64 {
	return counterValue(m.bcrypt.WithLabelValues("match")) + counterValue(m.bcrypt.WithLabelValues("mismatch"))
}

func (m *Metrics) observeAuth(outcome string) { m.auth.WithLabelValues(outcome).Inc() }

func (m *Metrics) observeRequest(route, method string, status int, d time.Duration) {
	method = methodLabel(method)
	s := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, s).Inc()
	m.duration.WithLabelValues(route, method, s).Observe(d.Seconds())
}

// methodLabel keeps the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
