package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// embeddedFile is the bbolt file holding the embedded server's buckets and
// objects inside its directory.
const embeddedFile = "objects.bolt"

// Embedded is a running S3-compatible server for dev mode (gofakes3 on a
// persistent bbolt file). Point a Client at it with Config.
type Embedded struct {
	// Endpoint is host:port of the server (plain HTTP, loopback).
	Endpoint string
	// AccessKey and SecretKey are random per start; the server accepts any
	// signature, but the client signs as it would for MinIO.
	AccessKey string
	SecretKey string
	// Region is the region the client should sign for.
	Region string

	srv       *http.Server
	db        *bolt.DB
	served    chan error
	closeOnce sync.Once
	closeErr  error
}

// StartEmbedded starts the embedded server on a free port of 127.0.0.1,
// keeping its data in dir (created if missing).
func StartEmbedded(ctx context.Context, dir string, logger *slog.Logger) (*Embedded, error) {
	return StartEmbeddedAt(ctx, "127.0.0.1:0", dir, logger)
}

// StartEmbeddedAt is StartEmbedded on a given listen address.
func StartEmbeddedAt(ctx context.Context, addr, dir string, logger *slog.Logger) (*Embedded, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "embedded-s3")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start embedded storage: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, embeddedFile)
	// A timeout, not bbolt's default of waiting forever, when another
	// process holds the file.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("start embedded storage: %s is in use by another process", path)
		}
		return nil, fmt.Errorf("start embedded storage: open %s: %w", path, err)
	}
	faker := gofakes3.New(s3bolt.New(db),
		gofakes3.WithAutoBucket(false),
		gofakes3.WithLogger(slogAdapter{l: logger}),
	)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("start embedded storage: listen on %s: %w", addr, err)
	}
	e := &Embedded{
		Endpoint:  ln.Addr().String(),
		AccessKey: randomHex(10),
		SecretKey: randomHex(20),
		Region:    DefaultRegion,
		srv: &http.Server{
			Handler:           faker.Server(),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		db:     db,
		served: make(chan error, 1),
	}
	go func() { e.served <- e.srv.Serve(ln) }()
	logger.Info("embedded object storage listening", "endpoint", e.Endpoint, "dir", dir)
	return e, nil
}

// Config returns the client configuration for bucket on this server.
func (e *Embedded) Config(bucket string) Config {
	return Config{
		Endpoint:  e.Endpoint,
		AccessKey: e.AccessKey,
		SecretKey: e.SecretKey,
		Bucket:    bucket,
		Region:    e.Region,
	}
}

// Close stops the server (letting requests in flight finish, up to 5 s) and
// closes its data file. Calling it again does nothing.
func (e *Embedded) Close() error {
	e.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := e.srv.Shutdown(ctx)
		if serveErr := <-e.served; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
		err = errors.Join(err, e.db.Close())
		if err != nil {
			e.closeErr = fmt.Errorf("close embedded storage: %w", err)
		}
	})
	return e.closeErr
}

// randomHex returns n random bytes in hex. crypto/rand.Read cannot fail
// (since Go 1.24 it crashes the program instead).
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// slogAdapter sends gofakes3's log lines to slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Print(level gofakes3.LogLevel, v ...any) {
	msg := fmt.Sprint(v...)
	switch level {
	case gofakes3.LogErr:
		a.l.Error(msg)
	case gofakes3.LogWarn:
		a.l.Warn(msg)
	case gofakes3.LogInfo:
		a.l.Debug(msg) // one line per request: too chatty for info
	default:
		a.l.Debug(msg)
	}
}
