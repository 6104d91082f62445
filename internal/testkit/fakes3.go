// Package testkit holds what the tests of every package share: waiting for
// a condition, a free loopback address, and an in-process fake S3. The live
// pipeline (Temporal, the offline API, a worker) is in testkit/stack.
package testkit

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// FakeS3 serves an in-process fake S3 with one bucket for the test's
// duration and returns the store location that reaches it the way a MinIO
// deployment is reached: an endpoint, path-style addressing, and
// credentials from the AWS_* variables (which it sets for the test).
func FakeS3(t testing.TB, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	return "s3://" + bucket + "?region=us-east-1&use_path_style=true&endpoint=" + srv.URL
}
