package store

import (
	"context"
	"testing"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// TestS3Store runs the store over the S3 protocol against an in-process
// fake S3, as a MinIO deployment would be reached.
func TestS3Store(t *testing.T) {
	s, err := Open(context.Background(), testkit.FakeS3(t, "phonecheck"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Location("out/results.csv"); got != "s3://phonecheck/out/results.csv" {
		t.Errorf("Location = %s", got)
	}
	exerciseStore(t, s)
}
