package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rgrid/rgrid/api/internal/config"
	"github.com/rgrid/rgrid/api/internal/database"
	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/routes"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/api/internal/storage"
)

// HTTP server limits.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10
	healthTimeout     = 2 * time.Second
	bucketTimeout     = 5 * time.Second
)

// server is the assembled API: its services, handler and lifecycle.
type server struct {
	cfg     config.Config
	logger  *slog.Logger
	db      *database.DB
	store   *models.Store
	metrics *middleware.Metrics
	usage   *services.UsageRecorder
	auth    *services.Authenticator
	admin   *services.Admin
	handler http.Handler
}

// newServer wires the services and routes on an open database and an
// optional object store (nil when storage could not be set up).
func newServer(cfg config.Config, logger *slog.Logger, db *database.DB, st objectStore) (*server, error) {
	s := &server{cfg: cfg, logger: logger, db: db, store: models.NewStore(db.Gorm()), metrics: middleware.NewMetrics()}
	if err := s.metrics.RegisterDB(db.SQL()); err != nil {
		return nil, fmt.Errorf("register database metrics: %w", err)
	}
	s.usage = services.NewUsageRecorder(s.store, services.DefaultUsageFlushInterval, logger)
	s.auth = services.NewAuthenticator(s.store,
		services.WithUsageRecorder(s.usage),
		services.WithBcryptObserver(s.metrics.ObserveBcrypt),
		services.WithLogger(logger))
	s.admin = services.NewAdmin(s.store, services.WithAuthenticator(s.auth))
	var storagePinger services.Pinger
	if st != nil {
		storagePinger = st
	}
	e, err := routes.New(routes.Deps{
		Logger:  logger,
		Metrics: s.metrics,
		Auth:    s.auth,
		Health:  services.NewHealth(s.store, storagePinger, healthTimeout),
	})
	if err != nil {
		_ = s.usage.Close(context.Background())
		return nil, err
	}
	s.handler = e
	return s, nil
}

// listen binds the HTTP address. The commands call it before they touch the
// database, a data folder or the object storage, so a busy port changes
// nothing (no dev account or key created and never shown, no bucket made).
// fix says how to pick another address, for the port-in-use error.
func listen(ctx context.Context, addr, fix string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is already in use (another rgrid-api?); stop what uses it or %s", addr, fix)
	}
	return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
}

// nextPort suggests addr with the port after its own (127.0.0.1:8000 ->
// 127.0.0.1:8001), for the port-in-use hint.
func nextPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "127.0.0.1:8001"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n >= 65535 {
		n = 8000
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1))
}

// run serves on ln (from listen) until ctx ends, then shuts down
// gracefully: stop accepting, drain in-flight requests (bounded by the
// shutdown timeout), flush last_used_at and close the database. onListening,
// if set, is called with the bound address once the server accepts
// connections.
func (s *server) run(ctx context.Context, ln net.Listener, onListening func(addr string)) error {
	srv := &http.Server{
		Addr:              s.cfg.HTTPAddr,
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.logger.Info("rgrid-api listening", "addr", ln.Addr().String())
	if onListening != nil {
		onListening(ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
		s.logger.Info("shutting down: draining in-flight requests", "timeout", s.cfg.ShutdownTimeout.String())
	case err := <-serveErr:
		runErr = fmt.Errorf("serve: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.logger.Warn("in-flight requests did not finish in time; closing them", "error", err)
		_ = srv.Close()
	}
	s.shutdownServicesCtx(sctx)
	s.logger.Info("rgrid-api stopped")
	return runErr
}

func (s *server) shutdownServices() {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	s.shutdownServicesCtx(ctx)
}

func (s *server) shutdownServicesCtx(ctx context.Context) {
	if err := s.usage.Close(ctx); err != nil {
		s.logger.Warn("could not write the last API key use times", "error", err)
	}
	if err := s.db.Close(); err != nil {
		s.logger.Warn("close database", "error", err)
	}
}

// bucketKeeper makes sure the bucket exists: at start, and again on a later
// health check if storage was down at start.
type bucketKeeper struct {
	objectStore
	ensured atomic.Bool
}

// Ping ensures the bucket (once) and pings the store.
func (b *bucketKeeper) Ping(ctx context.Context) error {
	if !b.ensured.Load() {
		if err := b.EnsureBucket(ctx); err != nil {
			return err
		}
		b.ensured.Store(true)
	}
	return b.objectStore.Ping(ctx)
}

// ConnectionsClosed passes the store's count on, so the health check drops
// its cached storage status when a storage connection closes
// (services.ConnectionWatcher); 0 if the store does not count.
func (b *bucketKeeper) ConnectionsClosed() uint64 {
	if w, ok := b.objectStore.(services.ConnectionWatcher); ok {
		return w.ConnectionsClosed()
	}
	return 0
}

// connectStorage sets up the object store. Storage trouble never stops the
// server: it logs a warning and /health reports degraded.
func connectStorage(ctx context.Context, cfg config.Storage, logger *slog.Logger) objectStore {
	st, err := newObjectStore(ctx, cfg)
	if err != nil {
		logger.Warn("object storage is not available; serving without it (health: degraded)",
			"endpoint", cfg.Endpoint, "error", err)
		return nil
	}
	bk := &bucketKeeper{objectStore: st}
	bctx, cancel := context.WithTimeout(ctx, bucketTimeout)
	defer cancel()
	if err := bk.EnsureBucket(bctx); err != nil {
		if storage.IsAccessDenied(err) {
			logger.Warn("object storage answered but refused the credentials; check MINIO_ACCESS_KEY and MINIO_SECRET_KEY (serving without storage, health: degraded)",
				"endpoint", cfg.Endpoint, "bucket", cfg.Bucket, "error", err)
			return bk
		}
		logger.Warn("object storage is unreachable; serving without it until it answers (health: degraded)",
			"endpoint", cfg.Endpoint, "bucket", cfg.Bucket, "error", err)
		return bk
	}
	bk.ensured.Store(true)
	logger.Info("object storage ready", "endpoint", cfg.Endpoint, "bucket", cfg.Bucket)
	return bk
}

// checkOrMigrate applies migrations when migrate is set and otherwise
// refuses an out-of-date schema with the command to run.
func checkOrMigrate(ctx context.Context, db *database.DB, migrate bool) error {
	if migrate {
		if err := db.MigrateUp(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	}
	if err := db.CheckSchema(ctx); err != nil {
		if errors.Is(err, database.ErrSchemaOutOfDate) {
			return err
		}
		return fmt.Errorf("check schema: %w", err)
	}
	return nil
}
