package main

import (
	"context"
	"log/slog"

	"github.com/rgrid/rgrid/api/internal/config"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/api/internal/storage"
)

// devBucket is the bucket of the embedded dev-mode storage.
const devBucket = "rgrid"

// objectStore is what the server needs of the storage client.
type objectStore interface {
	Ping(ctx context.Context) error
	EnsureBucket(ctx context.Context) error
}

var (
	_ objectStore                = (*storage.Client)(nil)
	_ services.ConnectionWatcher = (*storage.Client)(nil)
	_ services.ConnectionWatcher = (*bucketKeeper)(nil)
)

// embeddedStorage is a running embedded S3 server (dev mode).
type embeddedStorage interface {
	Config() config.Storage
	Close() error
}

// newObjectStore returns a client for the S3-compatible storage of cfg. It
// does not contact the server.
var newObjectStore = func(ctx context.Context, cfg config.Storage) (objectStore, error) {
	return storage.New(ctx, storage.Config{
		Endpoint: cfg.Endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey,
		Bucket: cfg.Bucket, UseSSL: cfg.UseSSL, Region: cfg.Region,
	})
}

// startEmbeddedStorage starts the embedded S3 server of dev mode in dir.
var startEmbeddedStorage = func(ctx context.Context, dir string, logger *slog.Logger) (embeddedStorage, error) {
	emb, err := storage.StartEmbedded(ctx, dir, logger)
	if err != nil {
		return nil, err
	}
	return embedded{emb}, nil
}

type embedded struct{ *storage.Embedded }

func (e embedded) Config() config.Storage {
	c := e.Embedded.Config(devBucket)
	return config.Storage{Endpoint: c.Endpoint, AccessKey: c.AccessKey, SecretKey: c.SecretKey,
		Bucket: c.Bucket, UseSSL: c.UseSSL, Region: c.Region}
}
