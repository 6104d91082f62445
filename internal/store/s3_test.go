package store

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestS3Store runs the store over the S3 protocol against an in-process
// fake S3 (gofakes3), as a MinIO deployment would be reached:
// s3://bucket?endpoint=...&use_path_style=true, credentials from AWS_*.
func TestS3Store(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("phonecheck"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	ctx := context.Background()
	s, err := Open(ctx, "s3://phonecheck?region=us-east-1&use_path_style=true&endpoint="+srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Location("out/results.csv"); got != "s3://phonecheck/out/results.csv" {
		t.Errorf("Location = %s", got)
	}
	exerciseStore(t, s)
}
