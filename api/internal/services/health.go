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

// DefaultHealthTimeout bounds each dependency check.
const DefaultHealthTimeout = 2 * time.Second

// Health reports whether the database and the object storage answer.
type Health struct {
	db, storage Pinger
	timeout     time.Duration
	flight      singleflight.Group
}

// NewHealth returns a Health checking db and storage (storage may be nil:
// then it is reported disconnected), each with its own timeout.
func NewHealth(db, storage Pinger, timeout time.Duration) *Health {
	if timeout <= 0 {
		timeout = DefaultHealthTimeout
	}
	return &Health{db: db, storage: storage, timeout: timeout}
}

// Check pings both dependencies concurrently. Status is healthy when both
// answer, degraded when only the database does and unhealthy otherwise.
// Concurrent callers share one check in flight, so a burst of health probes
// costs one ping of each dependency.
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
	var dbOK, stOK bool
	wg.Go(func() { dbOK = h.ping(ctx, h.db) })
	wg.Go(func() { stOK = h.ping(ctx, h.storage) })
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
