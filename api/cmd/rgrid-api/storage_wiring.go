package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rgrid/rgrid/api/internal/config"
)

// objectStore is what the server needs of the storage client.
type objectStore interface {
	Ping(ctx context.Context) error
	EnsureBucket(ctx context.Context) error
}

// embeddedStorage is a running embedded S3 server (dev mode).
type embeddedStorage interface {
	Config() config.Storage
	Close() error
}

var errStorageNotWired = errors.New("the storage package is not wired in yet")

// newObjectStore connects to the S3-compatible storage of cfg.
var newObjectStore = func(ctx context.Context, cfg config.Storage) (objectStore, error) {
	return nil, errStorageNotWired
}

// startEmbeddedStorage starts the embedded S3 server of dev mode in dir.
var startEmbeddedStorage = func(ctx context.Context, dir string, logger *slog.Logger) (embeddedStorage, error) {
	return nil, errStorageNotWired
}
