//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/testkit"
)

// MinIO's root credentials in the S3 test: the standard AWS_* variables of
// the phonecheck services (docker-compose.s3.yml).
const (
	minioUser     = "phonecheck-minio"
	minioPassword = "minio-SECRET-2f9e61c4-b7d0"
)

// startMinIO runs a MinIO server on a loopback port with a data directory
// under dir and makes the buckets; the test's restart policy stands in for
// a container's. It returns the instance and the endpoint URL.
func (l *layout) startMinIO(buckets ...string) (*instance, string) {
	l.t.Helper()
	addr, console := l.addr("minio:9000"), l.addr("minio:9001")
	env := append(baseEnv(), "MINIO_ROOT_USER="+minioUser, "MINIO_ROOT_PASSWORD="+minioPassword, "MINIO_BROWSER=off")
	in := l.spawn(&instance{name: "minio", svc: "minio", restart: "unless-stopped", dir: l.dir, env: env,
		argv: []string{filepath.Join(minioDir, "bin", "minio"), "server", filepath.Join(l.dir, "volumes", "minio-data"),
			"--address", addr, "--console-address", console, "--quiet"}})
	endpoint := "http://" + addr
	minioReady(l.t, endpoint, time.Minute)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(minioUser, minioPassword, "")})
	for _, b := range buckets {
		if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			l.t.Fatalf("creating bucket %s: %v", b, err)
		}
	}
	return in, endpoint
}

// minioReady waits for MinIO's readiness probe.
func minioReady(t *testing.T, endpoint string, timeout time.Duration) {
	t.Helper()
	testkit.WaitFor(t, timeout, "MinIO ready", func() bool {
		resp, err := http.Get(endpoint + "/minio/health/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestClusterS3 runs the layout once more with docker-compose.s3.yml: the
// store and the results in MinIO buckets, reached with the standard AWS_*
// credentials. MinIO is killed and restarted while files run.
func TestClusterS3(t *testing.T) {
	if minioDir == "" {
		t.Skip("CLUSTER_MINIO=0: MinIO was not installed")
	}
	// MinIO stands outside the project, as a bucket service would: a layout
	// of its own gives it ports and a directory.
	l0 := loadLayout(t, t.TempDir(), map[string]string{"PHONECHECK_API_KEY": Key}, "docker-compose.yml")
	minio, endpoint := l0.startMinIO("phonecheck-store", "phonecheck-results")
	bucket := func(name string) string {
		return fmt.Sprintf("s3://%s?region=us-east-1&endpoint=%s&use_path_style=true", name, endpoint)
	}
	vars := map[string]string{
		"PHONECHECK_STORE": bucket("phonecheck-store"), "PHONECHECK_OUT": bucket("phonecheck-results"),
		"AWS_ACCESS_KEY_ID": minioUser, "AWS_SECRET_ACCESS_KEY": minioPassword,
	}
	c := newCluster(t, vars, "docker-compose.yml", "docker-compose.s3.yml")
	// The test reads the results from the bucket as any client would.
	t.Setenv("AWS_ACCESS_KEY_ID", minioUser)
	t.Setenv("AWS_SECRET_ACCESS_KEY", minioPassword)
	if c.out != vars["PHONECHECK_OUT"] {
		t.Fatalf("the watcher's PHONECHECK_OUT is %s, want the bucket", c.out)
	}

	t.Run("doctor", func(t *testing.T) {
		env := c.envOf("phonecheck-worker", 1)
		if s := envValue(env, "PHONECHECK_STORE"); s != vars["PHONECHECK_STORE"] {
			t.Fatalf("the workers' store is %q, want the bucket", s)
		}
		if out := c.doctor(t); !strings.Contains(out, "s3://phonecheck-store") || !strings.Contains(out, "s3://phonecheck-results") {
			t.Errorf("doctor did not check the buckets:\n%s", out)
		}
	})

	t.Run("kill-minio", func(t *testing.T) {
		files := append(numbers(t, "s3", smallFiles, 300, 9001), numbers(t, "s3-large", 1, bigLines/2, 9901)...)
		c.drop(files...)
		c.waitStage(t, files[len(files)-1], "polling")
		restarts := minio.restarts
		minio.kill()
		minio.waitRestarted(t, restarts+1)
		minioReady(t, endpoint, time.Minute)
		t.Logf("MinIO killed and restarted while %d files ran", len(files))
		c.finish(t, files, 10*time.Minute)
		c.checkInboxEmpty(t)
	})
}

// read is a result's content from a local path or, for an s3:// location,
// from the results' bucket.
func (c *cluster) read(loc string) ([]byte, error) {
	if !strings.HasPrefix(loc, "s3://") {
		return os.ReadFile(loc)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, c.out)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.ReadAll(ctx, strings.TrimPrefix(loc, st.Location("")))
}
