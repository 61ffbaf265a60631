package services

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// UsageStore is the part of Store the usage recorder needs.
type UsageStore interface {
	TouchAPIKeys(ctx context.Context, usedAt map[int64]time.Time) error
}

// DefaultUsageFlushInterval is how often last_used_at is written.
const DefaultUsageFlushInterval = 500 * time.Millisecond

// UsageRecorder keeps api_keys.last_used_at off the request path: Record
// remembers the newest use time per key in memory and a background goroutine
// writes them in one batch at every interval. Close writes what is left.
type UsageRecorder struct {
	store    UsageStore
	logger   *slog.Logger
	interval time.Duration

	mu      sync.Mutex
	pending map[int64]time.Time

	stop    chan struct{}
	done    chan struct{}
	closeMu sync.Once
	flushMu sync.Mutex // one flush at a time
}

// NewUsageRecorder starts a recorder flushing to store every interval
// (DefaultUsageFlushInterval when <= 0).
func NewUsageRecorder(store UsageStore, interval time.Duration, logger *slog.Logger) *UsageRecorder {
	if interval <= 0 {
		interval = DefaultUsageFlushInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	u := &UsageRecorder{
		store:    store,
		logger:   logger,
		interval: interval,
		pending:  make(map[int64]time.Time),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go u.loop()
	return u
}

// Record notes that key id was used at t. It never blocks on the database.
func (u *UsageRecorder) Record(id int64, t time.Time) {
	u.mu.Lock()
	if old, ok := u.pending[id]; !ok || t.After(old) {
		u.pending[id] = t
	}
	u.mu.Unlock()
}

// Flush writes the pending use times now. On failure they are kept (unless
// a newer time arrived meanwhile) and retried at the next flush.
func (u *UsageRecorder) Flush(ctx context.Context) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	batch := u.pending
	u.pending = make(map[int64]time.Time)
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := u.store.TouchAPIKeys(ctx, batch); err != nil {
		for id, t := range batch {
			u.Record(id, t)
		}
		return err
	}
	return nil
}

func (u *UsageRecorder) loop() {
	defer close(u.done)
	t := time.NewTicker(u.interval)
	defer t.Stop()
	for {
		select {
		case <-u.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*u.interval+time.Second)
			if err := u.Flush(ctx); err != nil {
				u.logger.Warn("could not record API key use; will retry", "error", err.Error())
			}
			cancel()
		}
	}
}

// Close stops the background writer and flushes what is pending, bounded by ctx.
func (u *UsageRecorder) Close(ctx context.Context) error {
	u.closeMu.Do(func() { close(u.stop) })
	select {
	case <-u.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return u.Flush(ctx)
}
