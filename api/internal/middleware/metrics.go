package middleware

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
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

	// The children of the vectors above, looked up once: WithLabelValues
	// hashes the label values and takes the vector's lock on every call.
	byRequest     sync.Map // requestLabels -> *requestSeries
	authByOutcome map[string]prometheus.Counter
	bcryptMatch   prometheus.Counter
	bcryptMiss    prometheus.Counter
}

// requestLabels are the label values of the per-request metrics.
type requestLabels struct {
	route, method string
	status        int
}

// requestSeries are the per-request metric children of one requestLabels.
type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
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
	m.bcryptMatch = m.bcrypt.WithLabelValues("match")
	m.bcryptMiss = m.bcrypt.WithLabelValues("mismatch")
	m.authByOutcome = make(map[string]prometheus.Counter, len(AuthOutcomes))
	for _, o := range AuthOutcomes {
		m.authByOutcome[o] = m.auth.WithLabelValues(o)
	}
	return m
}

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
	if match {
		m.bcryptMatch.Inc()
		return
	}
	m.bcryptMiss.Inc()
}

// BcryptCount returns how many bcrypt comparisons ran (for tests and logs).
func (m *Metrics) BcryptCount() float64 {
	return counterValue(m.bcryptMatch) + counterValue(m.bcryptMiss)
}

func (m *Metrics) observeAuth(outcome string) {
	if c, ok := m.authByOutcome[outcome]; ok {
		c.Inc()
		return
	}
	m.auth.WithLabelValues(outcome).Inc()
}

// observeRequest counts one request and its duration. The label sets are
// bounded (route templates, standard methods, HTTP statuses), so the cache
// of their children is too.
func (m *Metrics) observeRequest(route, method string, status int, d time.Duration) {
	l := requestLabels{route: route, method: methodLabel(method), status: status}
	v, ok := m.byRequest.Load(l)
	if !ok {
		s := strconv.Itoa(status)
		v, _ = m.byRequest.LoadOrStore(l, &requestSeries{
			count:    m.requests.WithLabelValues(l.route, l.method, s),
			duration: m.duration.WithLabelValues(l.route, l.method, s),
		})
	}
	rs := v.(*requestSeries)
	rs.count.Inc()
	rs.duration.Observe(d.Seconds())
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
