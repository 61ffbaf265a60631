package routes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/rgrid/rgrid/api/internal/database"
	"github.com/rgrid/rgrid/api/internal/middleware"
	"github.com/rgrid/rgrid/api/internal/models"
	"github.com/rgrid/rgrid/api/internal/services"
	"github.com/rgrid/rgrid/common"
	"github.com/rgrid/rgrid/tests/testenv"
)

// tcpProxy forwards a loopback port to target. Stop closes the listener and
// every connection (the service "goes down"); Start listens again on the
// same port (it "comes back").
type tcpProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
}

func newProxy(tb testing.TB, target string) *tcpProxy {
	tb.Helper()
	p := &tcpProxy{target: target, conns: map[net.Conn]struct{}{}}
	require.NoError(tb, p.listen("127.0.0.1:0"))
	p.addr = p.ln.Addr().String()
	tb.Cleanup(p.Stop)
	return p
}

func (p *tcpProxy) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.accept(ln)
	return nil
}

func (p *tcpProxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Stop makes the service unreachable.
func (p *tcpProxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
}

// Start makes it reachable again on the same address.
func (p *tcpProxy) Start(tb testing.TB) {
	tb.Helper()
	require.Eventually(tb, func() bool { return p.listen(p.addr) == nil }, 5*time.Second, 20*time.Millisecond)
}

// bucketPinger checks a MinIO bucket with HeadBucket.
type bucketPinger struct {
	client *s3.Client
	bucket string
}

func (b bucketPinger) Ping(ctx context.Context) error {
	_, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.bucket)})
	return err
}

// apiEnv is a real server (the handler of New on a real listener) on a
// fresh PostgreSQL database and MinIO bucket, each behind a proxy that a
// test can stop to simulate an outage.
type apiEnv struct {
	URL     string
	DB      *database.DB
	Store   *models.Store
	Admin   *services.Admin
	Metrics *middleware.Metrics
	Usage   *services.UsageRecorder
	Logs    *testenv.SyncBuffer
	DBProxy *tcpProxy
	S3Proxy *tcpProxy
	client  *http.Client
	keys    []string
}

func newAPIEnv(tb testing.TB) *apiEnv { return newAPIEnvWith(tb, true) }

// newAPIEnvWith builds the environment; with proxied false the server talks
// to PostgreSQL and MinIO directly (benchmarks: no extra hop) and the
// proxies exist but carry nothing.
func newAPIEnvWith(tb testing.TB, proxied bool) *apiEnv {
	tb.Helper()
	ctx := context.Background()
	dbURL := testenv.NewDatabase(tb)
	u, err := url.Parse(dbURL)
	require.NoError(tb, err)
	dbProxy := newProxy(tb, u.Host)
	if proxied {
		u.Host = dbProxy.addr
	}

	logs := &testenv.SyncBuffer{}
	level := slog.LevelDebug
	if !proxied {
		level = slog.LevelInfo // as in production
	}
	// Benchmarks use the production pool size (PoolMin 5, PoolMax 20).
	poolMin := 2
	if !proxied {
		poolMin = database.DefaultPoolMin
	}
	var sink io.Writer = logs
	if !proxied {
		sink = io.Discard // a growing in-memory buffer would distort the tail latencies
	}
	logger := middleware.NewLogger(sink, level, "api")
	db, err := database.Open(ctx, database.Options{URL: u.String(), PoolMin: poolMin, PoolMax: database.DefaultPoolMax, Logger: logger, ConnectAttempts: 1})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = db.Close() })
	require.NoError(tb, db.MigrateUp(ctx))
	store := models.NewStore(db.Gorm())

	bucket := testenv.NewBucket(tb)
	s3Proxy := newProxy(tb, bucket.Endpoint)
	s3 := bucket
	if proxied {
		s3.Endpoint = s3Proxy.addr
	}

	m := middleware.NewMetrics()
	require.NoError(tb, m.RegisterDB(db.SQL()))
	usage := services.NewUsageRecorder(store, 100*time.Millisecond, logger)
	auth := services.NewAuthenticator(store, services.WithUsageRecorder(usage),
		services.WithBcryptObserver(m.ObserveBcrypt), services.WithLogger(logger),
		services.WithStoreTimeout(2*time.Second))
	e, err := New(Deps{
		Logger:  logger,
		Metrics: m,
		Auth:    auth,
		Health:  services.NewHealth(store, bucketPinger{client: s3.Client(), bucket: bucket.Bucket}, time.Second),
	})
	require.NoError(tb, err)
	srv := httptest.NewUnstartedServer(e)
	srv.Config.MaxHeaderBytes = 64 << 10
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Start()
	tb.Cleanup(srv.Close)
	tb.Cleanup(func() { _ = usage.Close(context.Background()) })

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tb.Cleanup(tr.CloseIdleConnections)
	return &apiEnv{
		URL: srv.URL, DB: db, Store: store, Metrics: m, Usage: usage, Logs: logs,
		// Keys are created without warming the server's memo (as the
		// admin command does, in another process) and at a low bcrypt
		// cost to keep the suite fast; the bcrypt count is what matters.
		Admin:   services.NewAdmin(store, services.WithInsecureBcryptCostForTests(bcrypt.MinCost)),
		DBProxy: dbProxy, S3Proxy: s3Proxy,
		client: &http.Client{Transport: tr, Timeout: 30 * time.Second},
	}
}

// newKey creates an account and a key and remembers the key for the
// no-key-in-logs check.
func (a *apiEnv) newKey(tb testing.TB) (models.Account, services.CreatedKey) {
	tb.Helper()
	ctx := context.Background()
	acct, err := a.Admin.CreateAccount(ctx, testEmail())
	require.NoError(tb, err)
	k, err := a.Admin.CreateKey(ctx, acct.ID, "test")
	require.NoError(tb, err)
	a.keys = append(a.keys, k.Plaintext)
	return acct, k
}

var emailSeq struct {
	sync.Mutex
	n int
}

func testEmail() string {
	emailSeq.Lock()
	defer emailSeq.Unlock()
	emailSeq.n++
	return fmt.Sprintf("user-%d-%d@example.com", time.Now().UnixNano(), emailSeq.n)
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	require.NoError(tb, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

func (r response) errorCode(tb testing.TB) common.ErrorCode {
	tb.Helper()
	var e common.ErrorResponse
	require.NoError(tb, json.Unmarshal(r.Body, &e), "body: %s", r.Body)
	return e.ErrorCode
}

// do sends a request with the given Authorization headers (none when nil).
func (a *apiEnv) do(tb testing.TB, method, path string, auth ...string) response {
	tb.Helper()
	req, err := http.NewRequest(method, a.URL+path, nil)
	require.NoError(tb, err)
	for _, v := range auth {
		req.Header.Add("Authorization", v)
	}
	resp, err := a.client.Do(req)
	require.NoError(tb, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func (a *apiEnv) validate(tb testing.TB, auth ...string) response {
	tb.Helper()
	return a.do(tb, http.MethodPost, common.PathAuthValidate, auth...)
}
