// Package storage is RGrid's object storage: an S3 client for MinIO (or any
// S3-compatible server, path-style addressing), and an embedded S3 server
// for dev mode that the same client talks to.
package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultRegion      = "us-east-1"
	DefaultPingTimeout = 2 * time.Second
	// dialTimeout and headerTimeout bound one HTTP request's connection and
	// wait for the response headers, so a dead server fails fast.
	dialTimeout   = 2 * time.Second
	headerTimeout = 10 * time.Second
	// requestTimeout bounds bucket operations that have no caller deadline.
	requestTimeout = 10 * time.Second
)

// Config says where the storage is. Endpoint is host:port (a scheme is
// accepted too); the secret key is never logged or put in an error.
type Config struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	Bucket    string
	UseSSL    bool
	Region    string // default us-east-1
	// PingTimeout bounds Ping (default 2 s).
	PingTimeout time.Duration
}

// Client is an S3 client bound to one bucket. It implements
// services.ObjectStorage.
type Client struct {
	s3          *s3.Client
	bucket      string
	region      string
	endpoint    string // URL, safe to show
	pingTimeout time.Duration
	connsClosed *atomic.Uint64
}

// New returns a client for cfg. It does not contact the server, so it
// succeeds while the server is down; use Ping or EnsureBucket to check.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("new storage client: endpoint is empty")
	}
	if cfg.Bucket == "" {
		return nil, errors.New("new storage client: bucket is empty")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("new storage client: access key and secret key are required")
	}
	endpoint, err := endpointURL(cfg.Endpoint, cfg.UseSSL)
	if err != nil {
		return nil, fmt.Errorf("new storage client: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = DefaultPingTimeout
	}
	connsClosed := new(atomic.Uint64)
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	httpClient := &http.Client{Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countedConn{Conn: c, closed: connsClosed}, nil
		},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}}
	client := s3.New(s3.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:   httpClient,
		// Checksums only where S3 requires them: MinIO and the embedded
		// server both accept that, not every S3 clone accepts trailers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           3,
	})
	return &Client{s3: client, bucket: cfg.Bucket, region: cfg.Region, endpoint: endpoint,
		pingTimeout: cfg.PingTimeout, connsClosed: connsClosed}, nil
}

// ConnectionsClosed counts the connections to the storage server that have
// closed so far, for whatever reason: the server went away or closed an
// idle one, or this client dropped one. An idle keep-alive connection is
// closed as soon as the server's end goes (net/http watches it), so a change
// of this count is the first sign that the server may be gone; the health
// check uses it to drop a cached "connected".
func (c *Client) ConnectionsClosed() uint64 { return c.connsClosed.Load() }

// countedConn counts its own Close (once) in closed.
type countedConn struct {
	net.Conn
	closed *atomic.Uint64
	done   atomic.Bool
}

func (c *countedConn) Close() error {
	if c.done.CompareAndSwap(false, true) {
		c.closed.Add(1)
	}
	return c.Conn.Close()
}

// endpointURL turns host:port (or a URL) into the base URL of the server.
func endpointURL(endpoint string, useSSL bool) (string, error) {
	if strings.HasPrefix(endpoint, "http://") || strings.HasPrefix(endpoint, "https://") {
		return strings.TrimSuffix(endpoint, "/"), nil
	}
	if _, _, err := net.SplitHostPort(endpoint); err != nil {
		return "", fmt.Errorf("endpoint %q must be host:port", endpoint)
	}
	if useSSL {
		return "https://" + endpoint, nil
	}
	return "http://" + endpoint, nil
}

// S3 returns the underlying SDK client, for object operations.
func (c *Client) S3() *s3.Client { return c.s3 }

// Bucket returns the bucket the client works in.
func (c *Client) Bucket() string { return c.bucket }

// Endpoint returns the server's base URL.
func (c *Client) Endpoint() string { return c.endpoint }

// Ping checks, within the ping timeout and without retries, that the server
// answers and the bucket exists.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.pingTimeout)
	defer cancel()
	_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(c.bucket)}, noRetry)
	if err != nil {
		return fmt.Errorf("ping object storage %s bucket %s: %w", c.endpoint, c.bucket, err)
	}
	return nil
}

// EnsureBucket creates the bucket unless it exists already.
func (c *Client) EnsureBucket(ctx context.Context) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(c.bucket)})
	if err == nil {
		return nil
	}
	if !isNotFound(err) {
		return fmt.Errorf("check bucket %s at %s: %w", c.bucket, c.endpoint, err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(c.bucket)}
	if c.region != DefaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(c.region),
		}
	}
	_, err = c.s3.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s at %s: %w", c.bucket, c.endpoint, err)
	}
	return nil
}

// noRetry makes one attempt only.
func noRetry(o *s3.Options) { o.RetryMaxAttempts = 1 }

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, requestTimeout)
}

// IsAccessDenied reports whether err says the server answered but refused
// the request's credentials (a wrong access or secret key, or a key without
// access to the bucket), as opposed to not answering at all.
func IsAccessDenied(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch",
			"InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed":
			return true
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.HTTPStatusCode() {
		case http.StatusUnauthorized, http.StatusForbidden:
			return true
		}
	}
	return false
}

// isNotFound reports whether err says the bucket does not exist.
func isNotFound(err error) bool {
	var nf *types.NotFound
	var nsb *types.NoSuchBucket
	if errors.As(err, &nf) || errors.As(err, &nsb) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NotFound", "NoSuchBucket":
			return true
		}
	}
	return false
}
