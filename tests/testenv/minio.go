package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// MinIO defaults, the same as `make services-up` and infra/docker-compose.yml.
const (
	DefaultMinIOEndpoint  = "127.0.0.1:9000"
	DefaultMinIOAccessKey = "minioadmin"
	DefaultMinIOSecretKey = "minioadmin"
)

// minioRegion is the region MinIO answers to unless configured otherwise.
const minioRegion = "us-east-1"

// MinIO says where a test's bucket lives. The fields mirror the MINIO_* variables the API
// server reads, so Env can hand them to a binary under test.
type MinIO struct {
	Endpoint  string // host:port, no scheme
	AccessKey string
	SecretKey string
	Bucket    string // empty for the value returned by MinIOFromEnv
	UseSSL    bool
}

// MinIOFromEnv returns the server settings from MINIO_ENDPOINT, MINIO_ACCESS_KEY,
// MINIO_SECRET_KEY and MINIO_USE_SSL, with the local defaults. Bucket is left empty.
func MinIOFromEnv() (MinIO, error) {
	m := MinIO{
		Endpoint:  getenv(DefaultMinIOEndpoint, "MINIO_ENDPOINT"),
		AccessKey: getenv(DefaultMinIOAccessKey, "MINIO_ACCESS_KEY"),
		SecretKey: getenv(DefaultMinIOSecretKey, "MINIO_SECRET_KEY"),
	}
	if v := getenv("", "MINIO_USE_SSL"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return MinIO{}, fmt.Errorf("testenv: MINIO_USE_SSL=%q is not a boolean", v)
		}
		m.UseSSL = b
	}
	if _, _, err := net.SplitHostPort(m.Endpoint); err != nil {
		return MinIO{}, fmt.Errorf("testenv: MINIO_ENDPOINT=%q must be host:port without a scheme", m.Endpoint)
	}
	return m, nil
}

// URL returns the base URL of the server, e.g. http://127.0.0.1:9000.
func (m MinIO) URL() string {
	if m.UseSSL {
		return "https://" + m.Endpoint
	}
	return "http://" + m.Endpoint
}

// Env returns the settings as MINIO_* environment entries (KEY=value), ready to append to
// exec.Cmd.Env when starting a binary under test.
func (m MinIO) Env() []string {
	return []string{
		"MINIO_ENDPOINT=" + m.Endpoint,
		"MINIO_ACCESS_KEY=" + m.AccessKey,
		"MINIO_SECRET_KEY=" + m.SecretKey,
		"MINIO_BUCKET=" + m.Bucket,
		"MINIO_USE_SSL=" + strconv.FormatBool(m.UseSSL),
	}
}

// Client returns an S3 client for the server (path-style addressing, static credentials, no
// shared AWS config files read).
func (m MinIO) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       minioRegion,
		BaseEndpoint: aws.String(m.URL()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
}

// NewBucket creates a fresh, empty bucket with a unique name (rgrid-test-...) and empties and
// removes it when the test and its subtests finish. It fails the test when MinIO is
// unreachable; it never skips.
func NewBucket(tb testing.TB) MinIO {
	tb.Helper()
	m, cleanup, err := CreateBucket(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	cleanupOrFail(tb, "bucket", cleanup)
	return m
}

// CreateBucket is NewBucket for TestMain and other places without a testing.TB: it creates a
// fresh bucket and returns its settings and a function that empties and removes it. The caller
// must call cleanup.
func CreateBucket(ctx context.Context) (m MinIO, cleanup func() error, err error) {
	m, err = MinIOFromEnv()
	if err != nil {
		return MinIO{}, nil, err
	}
	m.Bucket, err = uniqueName("rgrid-test-")
	if err != nil {
		return MinIO{}, nil, err
	}
	client := m.Client()
	cctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	if _, err := client.CreateBucket(cctx, &s3.CreateBucketInput{Bucket: aws.String(m.Bucket)}); err != nil {
		var apiErr interface{ ErrorCode() string }
		if errors.As(err, &apiErr) {
			// The server answered: this is not a reachability problem.
			return MinIO{}, nil, fmt.Errorf("testenv: create bucket %s at %s: %w", m.Bucket, m.URL(), err)
		}
		return MinIO{}, nil, fmt.Errorf("testenv: MinIO not reachable at %s: %w; %s", m.URL(), err, hint)
	}
	cleanup = func() error {
		ctx, cancel := withTimeout()
		defer cancel()
		return removeBucket(ctx, client, m.Bucket)
	}
	return m, cleanup, nil
}

// removeBucket deletes every object version, delete marker and unfinished multipart upload in
// bucket, then the bucket itself.
func removeBucket(ctx context.Context, client *s3.Client, bucket string) error {
	uploads := s3.NewListMultipartUploadsPaginator(client, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	for uploads.HasMorePages() {
		page, err := uploads.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list multipart uploads in %s: %w", bucket, err)
		}
		for _, u := range page.Uploads {
			if _, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId,
			}); err != nil {
				return fmt.Errorf("abort upload of %s in %s: %w", aws.ToString(u.Key), bucket, err)
			}
		}
	}
	// ListObjectVersions also lists the objects of a bucket that never had versioning.
	versions := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for versions.HasMorePages() {
		page, err := versions.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list objects in %s: %w", bucket, err)
		}
		ids := make([]types.ObjectIdentifier, 0, len(page.Versions)+len(page.DeleteMarkers))
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, d := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: d.Key, VersionId: d.VersionId})
		}
		if len(ids) == 0 {
			continue
		}
		out, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete objects in %s: %w", bucket, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete %s in %s: %s: %s", aws.ToString(e.Key), bucket,
				aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	return nil
}
