package harness

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestOwnPostgres checks the fault tests' own cluster: it starts, serves a
// new database, stops (connections fail) and starts again on the same port.
func TestOwnPostgres(t *testing.T) {
	pg := StartPostgres(t)
	url := pg.NewDatabase(t, "harness_check")
	ping := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(context.Background()) }()
		return conn.Ping(ctx)
	}
	if err := ping(); err != nil {
		t.Fatalf("fresh cluster: %v", err)
	}
	pg.Stop(t, "fast")
	if err := ping(); err == nil {
		t.Fatal("the stopped cluster still answers")
	}
	pg.Start(t)
	if err := ping(); err != nil {
		t.Fatalf("restarted cluster: %v", err)
	}
}

// TestOwnMinIO checks the fault tests' own MinIO: ready, stopped, ready again.
func TestOwnMinIO(t *testing.T) {
	m := StartMinIO(t)
	live := func() error {
		c := &http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://" + m.Endpoint + "/minio/health/live")
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	if err := live(); err != nil {
		t.Fatalf("fresh MinIO: %v", err)
	}
	m.Stop(t)
	if err := live(); err == nil {
		t.Fatal("the stopped MinIO still answers")
	}
	m.Start(t)
	if err := live(); err != nil {
		t.Fatalf("restarted MinIO: %v", err)
	}
}
