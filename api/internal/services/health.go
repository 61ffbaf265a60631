package services

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/rgrid/rgrid/common"
)

// Pinger is anything whose availability can be checked.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ConnectionWatcher is implemented by a storage Pinger that counts the
// connections to its server that have closed (storage.Client does). Health
// drops a cached storage result as soon as that count moves: a server that
// stops closes its connections, so its outage shows on the next check and
// not up to a TTL later.
type ConnectionWatcher interface {
	ConnectionsClosed() uint64
}

// DefaultHealthTimeout bounds each dependency check.
const DefaultHealthTimeout = 2 * time.Second

// DefaultStorageStatusTTL is how long a storage check's result is reused.
const DefaultStorageStatusTTL = time.Second

// Health reports whether the database and the object storage answer.
//
// The database is pinged on every check: it decides between 200 and 503,
// and a load balancer must see it go the moment it goes. The storage result
// is reused for a short time (DefaultStorageStatusTTL): it only decides
// between healthy and degraded, and its check is the expensive one (an S3
// HeadBucket: request signing, an HTTP round trip and the storage server's
// own work, several times the cost of the database ping on this hardware),
// so probes arriving at any rate cost storage at most one check per TTL,
// and a storage outage that makes each check wait for its timeout costs
// that wait once per TTL rather than on every probe. If the storage Pinger
// is a ConnectionWatcher, a cached result is also dropped the moment one of
// its connections closes, so a storage server that stops shows as degraded
// on the very next check; only a server that hangs with its connections
// open can be reported connected for up to the TTL after it stopped
// answering.
type Health struct {
	db, storage Pinger
	timeout     time.Duration
	storageTTL  time.Duration
	now         func() time.Time
	flight      singleflight.Group

	mu           sync.Mutex
	storageOK    bool
	storageAt    time.Time // when the cached storage check started; zero: none yet
	storageConns uint64    // ConnectionsClosed when it started
}

// HealthOption configures a Health.
type HealthOption func(*Health)

// WithStorageStatusTTL reuses a storage check's result for d (0: check on
// every call). The default is DefaultStorageStatusTTL.
func WithStorageStatusTTL(d time.Duration) HealthOption {
	return func(h *Health) { h.storageTTL = max(d, 0) }
}

// NewHealth returns a Health checking db and storage (storage may be nil:
// then it is reported disconnected), each with its own timeout.
func NewHealth(db, storage Pinger, timeout time.Duration, opts ...HealthOption) *Health {
	if timeout <= 0 {
		timeout = DefaultHealthTimeout
	}
	h := &Health{db: db, storage: storage, timeout: timeout, storageTTL: DefaultStorageStatusTTL, now: time.Now}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Check pings the database, and the storage unless a result younger than
// the TTL is at hand, concurrently. Status is healthy when both answer,
// degraded when only the database does and unhealthy otherwise. Concurrent
// callers share one check in flight, so a burst of health probes costs one
// ping of each dependency.
func (h *Health) Check(ctx context.Context) common.HealthResponse {
	v, _, _ := h.flight.Do("check", func() (any, error) {
		// Shared by several callers: bounded by the per-check timeouts,
		// not by whichever caller started it.
		return h.check(context.WithoutCancel(ctx)), nil
	})
	return v.(common.HealthResponse)
}

func (h *Health) check(ctx context.Context) common.HealthResponse {
	var wg sync.WaitGroup
	var dbOK bool
	wg.Go(func() { dbOK = h.ping(ctx, h.db) })
	stOK, fresh := h.cachedStorage()
	if !fresh {
		wg.Go(func() {
			start, conns := h.now(), h.connsClosed()
			stOK = h.ping(ctx, h.storage)
			h.mu.Lock()
			h.storageOK, h.storageAt, h.storageConns = stOK, start, conns
			h.mu.Unlock()
		})
	}
	wg.Wait()

	r := common.HealthResponse{
		Status:   common.HealthHealthy,
		Database: state(dbOK),
		Storage:  state(stOK),
		Version:  common.Version,
	}
	switch {
	case !dbOK:
		r.Status = common.HealthUnhealthy
	case !stOK:
		r.Status = common.HealthDegraded
	}
	return r
}

// cachedStorage returns the last storage result and whether it is younger
// than the TTL.
func (h *Health) cachedStorage() (ok, fresh bool) {
	if h.storage == nil {
		return false, true
	}
	conns := h.connsClosed()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.storageAt.IsZero() || h.now().Sub(h.storageAt) >= h.storageTTL || conns != h.storageConns {
		return false, false
	}
	return h.storageOK, true
}

// connsClosed is the storage's ConnectionsClosed, or 0 if it does not count.
func (h *Health) connsClosed() uint64 {
	if w, ok := h.storage.(ConnectionWatcher); ok {
		return w.ConnectionsClosed()
	}
	return 0
}

// DatabaseUp reports whether a health response says the database answers.
func DatabaseUp(r common.HealthResponse) bool { return r.Database == common.ServiceConnected }

func (h *Health) ping(ctx context.Context, p Pinger) bool {
	if p == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	return p.Ping(ctx) == nil
}

func state(ok bool) string {
	if ok {
		return common.ServiceConnected
	}
	return common.ServiceDisconnected
}
