package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/jackc/pgx/v5"
)

// closedPort returns a loopback host:port on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// databaseExists reports whether the server has a database called name.
func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	server, err := ServerURL()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var n int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// dbName returns the database name in a URL made by this package.
func dbName(t *testing.T, dbURL string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

func TestNewDatabaseIsFreshUsableAndDropped(t *testing.T) {
	var first, second string
	t.Run("use", func(t *testing.T) {
		first, second = NewDatabase(t), NewDatabase(t)
		if first == second {
			t.Fatalf("two calls returned the same database %s", first)
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		// A session still open at cleanup must not prevent the drop.
		t.Cleanup(func() { _ = conn.Close(ctx) })
		if _, err := conn.Exec(ctx, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		var tables int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").
			Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 1 {
			t.Errorf("fresh database has %d tables besides ours, want none", tables-1)
		}
	})
	for _, u := range []string{first, second} {
		name := dbName(t, u)
		if !strings.HasPrefix(name, "rgrid_test_") {
			t.Errorf("database name %q lacks the rgrid_test_ prefix", name)
		}
		if databaseExists(t, name) {
			t.Errorf("database %s still exists after cleanup", name)
		}
	}
}

func TestCreateDatabaseForTestMain(t *testing.T) {
	dbURL, cleanup, err := CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	name := dbName(t, dbURL)
	if !databaseExists(t, name) {
		t.Fatalf("database %s was not created", name)
	}
	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
	if databaseExists(t, name) {
		t.Fatalf("database %s still exists after cleanup", name)
	}
	if err := cleanup(); err != nil {
		t.Errorf("second cleanup: %v", err)
	}
}

func TestServerURL(t *testing.T) {
	tests := []struct {
		name, testURL, dbURL, want string
	}{
		{"default", "", "", "postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"},
		{"DATABASE_URL database replaced", "", "postgres://u:p@db:5433/rgrid?sslmode=require",
			"postgres://u:p@db:5433/postgres?sslmode=require"},
		{"RGRID_TEST_DATABASE_URL wins", "postgresql://a@h:1/x", "postgres://u@db/rgrid",
			"postgresql://a@h:1/postgres"},
		{"no path", "", "postgres://u@h:2", "postgres://u@h:2/postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RGRID_TEST_DATABASE_URL", tt.testURL)
			t.Setenv("DATABASE_URL", tt.dbURL)
			got, err := ServerURL()
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ServerURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestServerURLRejectsNonURLWithoutEchoingIt(t *testing.T) {
	for _, v := range []string{"host=db password=hunter2", "mysql://u:hunter2@h/db", "postgres:///db?password=hunter2"} {
		t.Run(v, func(t *testing.T) {
			t.Setenv("RGRID_TEST_DATABASE_URL", v)
			_, err := ServerURL()
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals the password: %v", err)
			}
			if _, _, err := CreateDatabase(context.Background()); err == nil {
				t.Error("CreateDatabase: want an error")
			}
		})
	}
}

func TestUnreachablePostgreSQLFailsWithHint(t *testing.T) {
	t.Setenv("RGRID_TEST_DATABASE_URL", "postgres://postgres:hunter2@"+closedPort(t)+"/postgres?sslmode=disable")
	_, _, err := CreateDatabase(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"PostgreSQL not reachable at", "make services-up"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error reveals the password: %v", err)
	}
	if failed, skipped := runHelper(func(tb testing.TB) { NewDatabase(tb) }); !failed || skipped {
		t.Errorf("NewDatabase on an unreachable server: failed=%v skipped=%v, want a failure", failed, skipped)
	}
}

func TestNewBucketIsFreshUsableAndRemoved(t *testing.T) {
	var m MinIO
	t.Run("use", func(t *testing.T) {
		m = NewBucket(t)
		other := NewBucket(t)
		if m.Bucket == other.Bucket || !strings.HasPrefix(m.Bucket, "rgrid-test-") {
			t.Fatalf("bucket names %q and %q: want distinct rgrid-test- names", m.Bucket, other.Bucket)
		}
		ctx := context.Background()
		c := m.Client()
		for i := range 3 {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(m.Bucket), Key: aws.String(fmt.Sprintf("dir/obj-%d", i)),
				Body: bytes.NewReader([]byte("hello")),
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String("dir/obj-1")})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(got.Body)
		_ = got.Body.Close()
		if err != nil || string(body) != "hello" {
			t.Fatalf("read back %q, %v", body, err)
		}
		list, err := other.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(other.Bucket)})
		if err != nil {
			t.Fatal(err)
		}
		if n := aws.ToInt32(list.KeyCount); n != 0 {
			t.Errorf("a fresh bucket holds %d objects", n)
		}
		// Cleanup must also cope with versions, delete markers and unfinished uploads.
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(m.Bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(m.Bucket), Key: aws.String("versioned"), Body: strings.NewReader("v"),
			}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(m.Bucket), Key: aws.String("versioned")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(m.Bucket), Key: aws.String("unfinished"),
		}); err != nil {
			t.Fatal(err)
		}
	})
	_, err := m.Client().HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(m.Bucket)})
	var notFound *types.NotFound
	if !errors.As(err, &notFound) {
		t.Errorf("HeadBucket after cleanup: %v, want NotFound", err)
	}
}

func TestCreateBucketForTestMain(t *testing.T) {
	m, cleanup, err := CreateBucket(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Client().HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(m.Bucket)}); err != nil {
		t.Fatalf("bucket %s was not created: %v", m.Bucket, err)
	}
	if err := cleanup(); err != nil {
		t.Fatal(err)
	}
	if err := cleanup(); err == nil {
		t.Error("second cleanup of a removed bucket: want an error")
	}
}

func TestMinIOFromEnv(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		for _, k := range []string{"MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_USE_SSL"} {
			t.Setenv(k, "")
		}
		m, err := MinIOFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		want := MinIO{Endpoint: "127.0.0.1:9000", AccessKey: "minioadmin", SecretKey: "minioadmin"}
		if m != want {
			t.Errorf("MinIOFromEnv() = %+v, want %+v", m, want)
		}
		if m.URL() != "http://127.0.0.1:9000" {
			t.Errorf("URL() = %q", m.URL())
		}
	})
	t.Run("from env", func(t *testing.T) {
		t.Setenv("MINIO_ENDPOINT", "minio.example:443")
		t.Setenv("MINIO_ACCESS_KEY", "ak")
		t.Setenv("MINIO_SECRET_KEY", "sk")
		t.Setenv("MINIO_USE_SSL", "true")
		m, err := MinIOFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		m.Bucket = "b"
		if m.URL() != "https://minio.example:443" {
			t.Errorf("URL() = %q", m.URL())
		}
		want := []string{"MINIO_ENDPOINT=minio.example:443", "MINIO_ACCESS_KEY=ak", "MINIO_SECRET_KEY=sk",
			"MINIO_BUCKET=b", "MINIO_USE_SSL=true"}
		if got := strings.Join(m.Env(), " "); got != strings.Join(want, " ") {
			t.Errorf("Env() = %v, want %v", got, want)
		}
	})
	for _, tt := range []struct{ name, endpoint, ssl string }{
		{"scheme in endpoint", "http://127.0.0.1:9000", ""},
		{"no port", "localhost", ""},
		{"bad bool", "127.0.0.1:9000", "maybe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("MINIO_ENDPOINT", tt.endpoint)
			t.Setenv("MINIO_USE_SSL", tt.ssl)
			if _, err := MinIOFromEnv(); err == nil {
				t.Error("want an error")
			}
			if _, _, err := CreateBucket(context.Background()); err == nil {
				t.Error("CreateBucket: want an error")
			}
		})
	}
}

func TestUnreachableMinIOFailsWithHint(t *testing.T) {
	t.Setenv("MINIO_ENDPOINT", closedPort(t))
	_, _, err := CreateBucket(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"MinIO not reachable at", "make services-up"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if failed, skipped := runHelper(func(tb testing.TB) { NewBucket(tb) }); !failed || skipped {
		t.Errorf("NewBucket on an unreachable server: failed=%v skipped=%v, want a failure", failed, skipped)
	}
}

func TestWrongMinIOCredentialsAreNotReportedAsUnreachable(t *testing.T) {
	t.Setenv("MINIO_SECRET_KEY", "not-the-secret")
	_, _, err := CreateBucket(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), "not reachable") {
		t.Errorf("a server that answered is reported unreachable: %v", err)
	}
}

// recorder is a testing.TB that records failures and skips instead of acting on the real test.
type recorder struct {
	testing.TB
	mu              sync.Mutex
	failed, skipped bool
	cleanups        []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(...any) {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	panic(errStop)
}
func (r *recorder) Skip(...any) {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	panic(errStop)
}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

var errStop = errors.New("stop")

// runHelper calls f with a recorder and reports whether it failed or skipped.
func runHelper(f func(testing.TB)) (failed, skipped bool) {
	r := &recorder{}
	func() {
		defer func() {
			if v := recover(); v != nil && v != errStop { //nolint:errorlint // sentinel identity
				panic(v)
			}
		}()
		f(r)
	}()
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	return r.failed, r.skipped
}

func TestRefusedAndSilentAddr(t *testing.T) {
	_, err := net.DialTimeout("tcp", RefusedAddr(t), time.Second)
	if err == nil {
		t.Fatal("RefusedAddr: a connection was accepted")
	}

	c, err := net.DialTimeout("tcp", SilentAddr(t), time.Second)
	if err != nil {
		t.Fatalf("SilentAddr: dial: %v", err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var buf [1]byte
	_, err = c.Read(buf[:])
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("SilentAddr: read = %v, want a timeout (the peer must stay silent and open)", err)
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = b.Write([]byte("ab"))
		}()
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("ab", 8) {
		t.Fatalf("String() = %q, want 8 x ab", got)
	}
}
