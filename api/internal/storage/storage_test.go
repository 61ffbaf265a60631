package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rgrid/rgrid/tests/testenv"
)

// backend is an S3 server under test and a bucket name on it that does not
// exist yet (removed at cleanup if the test creates it).
type backend struct {
	name string
	cfg  func(t *testing.T) Config
}

var backends = []backend{
	{"minio", func(t *testing.T) Config {
		m := testenv.NewBucket(t)
		// testenv created the bucket; remove it so EnsureBucket must create
		// it. testenv's cleanup removes it again afterwards.
		_, err := m.Client().DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(m.Bucket)})
		require.NoError(t, err)
		return Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket, UseSSL: m.UseSSL}
	}},
	{"embedded", func(t *testing.T) Config {
		e, err := StartEmbedded(context.Background(), t.TempDir(), slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, e.Close()) })
		return e.Config("rgrid-test")
	}},
}

func TestClientAgainstServers(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := b.cfg(t)
			c, err := New(ctx, cfg)
			require.NoError(t, err)

			t.Run("ping fails while the bucket is missing", func(t *testing.T) {
				err := c.Ping(ctx)
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.Bucket())
			})
			t.Run("ensure bucket creates it, then is a no-op", func(t *testing.T) {
				require.NoError(t, c.EnsureBucket(ctx))
				require.NoError(t, c.EnsureBucket(ctx))
				require.NoError(t, c.Ping(ctx))
			})
			t.Run("put and get round trip", func(t *testing.T) {
				payload := make([]byte, 256<<10)
				_, _ = rand.Read(payload)
				objects := map[string][]byte{
					"scripts/hello.py":     []byte("print('hello')\n"),
					"outputs/random.bin":   payload,
					"empty":                {},
					"names/with space ü.t": []byte("unicode key"),
				}
				for key, body := range objects {
					_, err := c.S3().PutObject(ctx, &s3.PutObjectInput{
						Bucket: aws.String(c.Bucket()), Key: aws.String(key), Body: bytes.NewReader(body),
						ContentLength: aws.Int64(int64(len(body))),
					})
					require.NoError(t, err, key)
				}
				for key, body := range objects {
					out, err := c.S3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.Bucket()), Key: aws.String(key)})
					require.NoError(t, err, key)
					got, err := io.ReadAll(out.Body)
					require.NoError(t, out.Body.Close())
					require.NoError(t, err)
					assert.Equal(t, body, got, key)
				}
				list, err := c.S3().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(c.Bucket()), Prefix: aws.String("scripts/")})
				require.NoError(t, err)
				require.Len(t, list.Contents, 1)
				assert.Equal(t, "scripts/hello.py", aws.ToString(list.Contents[0].Key))
				for key := range objects {
					_, err := c.S3().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.Bucket()), Key: aws.String(key)})
					require.NoError(t, err, key)
				}
			})
			t.Run("wrong credentials fail without showing the secret", func(t *testing.T) {
				if b.name == "embedded" {
					t.Skip("the embedded server accepts any signature by design")
				}
				wrong := cfg
				wrong.SecretKey = "not-the-secret-123"
				bad, err := New(ctx, wrong)
				require.NoError(t, err)
				err = bad.Ping(ctx)
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "not-the-secret-123")
				err = bad.EnsureBucket(ctx)
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "not-the-secret-123")
			})
		})
	}
}

// TestDeadServer: New succeeds without a server; Ping fails fast, both when
// the port refuses and when it never answers.
func TestDeadServer(t *testing.T) {
	refusedAddr := testenv.RefusedAddr(t)
	silentAddr := testenv.SilentAddr(t) // accepts, never answers: only timeouts end the wait

	tests := []struct {
		name string
		addr string
	}{
		{"connection refused", refusedAddr},
		{"no answer", silentAddr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, err := New(ctx, Config{Endpoint: tt.addr, AccessKey: "ak", SecretKey: "sk-secret", Bucket: "rgrid", PingTimeout: 500 * time.Millisecond})
			require.NoError(t, err, "a dead server must not stop the client from being built")

			start := time.Now()
			err = c.Ping(ctx)
			require.Error(t, err)
			assert.Less(t, time.Since(start), 2*time.Second, "ping must not hang")
			assert.Contains(t, err.Error(), tt.addr)
			assert.NotContains(t, err.Error(), "sk-secret")

			ectx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			start = time.Now()
			err = c.EnsureBucket(ectx)
			require.Error(t, err)
			assert.Less(t, time.Since(start), 3*time.Second)
			assert.False(t, IsAccessDenied(err), "a dead server is not a refusal: %v", err)
		})
	}
}

// TestWrongCredentials: a server that answers but refuses the keys is told
// apart from one that does not answer, on HeadBucket (Ping, EnsureBucket)
// and on a request with a body.
func TestWrongCredentials(t *testing.T) {
	m := testenv.NewBucket(t)
	ctx := context.Background()
	for _, tc := range []struct{ name, access, secret string }{
		{"wrong secret key", m.AccessKey, "not-the-secret"},
		{"unknown access key", "no-such-access-key", m.SecretKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(ctx, Config{Endpoint: m.Endpoint, AccessKey: tc.access, SecretKey: tc.secret, Bucket: m.Bucket, UseSSL: m.UseSSL})
			require.NoError(t, err)
			err = c.Ping(ctx)
			require.Error(t, err)
			assert.True(t, IsAccessDenied(err), "ping: %v", err)
			err = c.EnsureBucket(ctx)
			require.Error(t, err)
			assert.True(t, IsAccessDenied(err), "ensure bucket: %v", err)
			_, err = c.S3().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String("k"), Body: strings.NewReader("v")})
			require.Error(t, err)
			assert.True(t, IsAccessDenied(err), "put object: %v", err)
			assert.NotContains(t, err.Error(), tc.secret)
		})
	}
	assert.False(t, IsAccessDenied(errors.New("dial tcp: connection refused")))
	assert.False(t, IsAccessDenied(nil))
}

func TestNewValidates(t *testing.T) {
	good := Config{Endpoint: "127.0.0.1:9000", AccessKey: "a", SecretKey: "s", Bucket: "b"}
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // "" = valid
		url    string
	}{
		{"host:port", func(*Config) {}, "", "http://127.0.0.1:9000"},
		{"ssl", func(c *Config) { c.UseSSL = true }, "", "https://127.0.0.1:9000"},
		{"url given", func(c *Config) { c.Endpoint = "https://s3.example.com/" }, "", "https://s3.example.com"},
		{"no endpoint", func(c *Config) { c.Endpoint = "" }, "endpoint", ""},
		{"no port", func(c *Config) { c.Endpoint = "minio" }, "host:port", ""},
		{"no bucket", func(c *Config) { c.Bucket = "" }, "bucket", ""},
		{"no access key", func(c *Config) { c.AccessKey = "" }, "access key", ""},
		{"no secret key", func(c *Config) { c.SecretKey = "" }, "secret key", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.modify(&cfg)
			c, err := New(context.Background(), cfg)
			if tt.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.url, c.Endpoint())
			assert.Equal(t, "b", c.Bucket())
		})
	}
}

func TestEmbeddedPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	e, err := StartEmbedded(ctx, dir, logger)
	require.NoError(t, err)
	host, _, err := net.SplitHostPort(e.Endpoint)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", host, "dev mode listens on loopback only")

	t.Run("a second server on the same folder is refused, not hung", func(t *testing.T) {
		start := time.Now()
		_, err := StartEmbedded(ctx, dir, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "in use")
		assert.Less(t, time.Since(start), 3*time.Second)
	})

	c, err := New(ctx, e.Config("dev"))
	require.NoError(t, err)
	require.NoError(t, c.EnsureBucket(ctx))
	_, err = c.S3().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dev"), Key: aws.String("kept"), Body: strings.NewReader("still here")})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, e.Close(), "Close twice is harmless")
	require.Error(t, c.Ping(ctx), "closed server")

	e2, err := StartEmbedded(ctx, dir, logger)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e2.Close() })
	c2, err := New(ctx, e2.Config("dev"))
	require.NoError(t, err)
	require.NoError(t, c2.Ping(ctx), "the bucket survives a restart")
	out, err := c2.S3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("dev"), Key: aws.String("kept")})
	require.NoError(t, err)
	body, err := io.ReadAll(out.Body)
	require.NoError(t, out.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, "still here", string(body))
}

func TestEmbeddedBadPlaces(t *testing.T) {
	ctx := context.Background()
	t.Run("address in use", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		_, err = StartEmbeddedAt(ctx, l.Addr().String(), t.TempDir(), nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "listen")
	})
	t.Run("directory cannot be created", func(t *testing.T) {
		file := t.TempDir() + "/file"
		require.NoError(t, writeFile(file))
		_, err := StartEmbedded(ctx, file+"/sub", nil)
		require.Error(t, err)
	})
	t.Run("data file is not a bbolt file", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, writeFile(dir+"/"+embeddedFile))
		_, err := StartEmbedded(ctx, dir, nil)
		require.Error(t, err)
	})
}

func writeFile(path string) error {
	return os.WriteFile(path, []byte("not a database, just some bytes to be larger than nothing"), 0o600)
}

// TestConnectionsClosedSeesServerGo: when the server stops, the client's
// idle keep-alive connection closes without any request being made, and
// ConnectionsClosed counts it (the health check relies on this to drop a
// cached "connected" at once).
func TestConnectionsClosedSeesServerGo(t *testing.T) {
	ctx := context.Background()
	e, err := StartEmbedded(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	c, err := New(ctx, e.Config("rgrid-conns"))
	require.NoError(t, err)
	require.NoError(t, c.EnsureBucket(ctx))
	for range 3 {
		require.NoError(t, c.Ping(ctx))
	}
	assert.Zero(t, c.ConnectionsClosed(), "a healthy server keeps its keep-alive connection")

	require.NoError(t, e.Close())
	require.Eventually(t, func() bool { return c.ConnectionsClosed() > 0 },
		2*time.Second, time.Millisecond, "the idle connection closed with the server")
	assert.Error(t, c.Ping(ctx))
}
