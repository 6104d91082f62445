package apiserver_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/results"
)

// benchFile is the realistic 1M-line file the CLI benchmarks use too.
func benchFile() (string, error) { return corpus.BenchFile(1_000_000) }

// BenchmarkServer1M is one task of 1M lines through the API over TCP:
// upload, poll until exported, download the zip. Beside it, the same file
// through phonecheck validate, in the same run:
//
//	go test ./apiserver -run '^$' -bench Server1M -benchtime 1x
func BenchmarkServer1M(b *testing.B) {
	in, err := benchFile()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("serve", func(b *testing.B) {
		srv, err := apiserver.New(apiserver.Config{Dir: b.TempDir(), Keys: []apiserver.Key{apiserver.NewKey(keyA)},
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		defer srv.Close()
		defer ts.Close()
		out := filepath.Join(b.TempDir(), "result.zip")
		b.ResetTimer()
		for range b.N {
			id := benchUpload(b, ts.URL, in)
			resultURL := benchPoll(b, ts.URL, id)
			benchDownload(b, resultURL, out)
		}
		b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
	b.Run("validate", func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "out.csv")
		for range b.N {
			if err := validateFile(in, out); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
}

// validateFile is what phonecheck validate -o out.csv does: every line
// checked with no region, written as CSV.
func validateFile(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := results.Create(out, results.CSV)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := validate.Run(context.Background(), f, w, validate.Options{}); err != nil {
		return err
	}
	return w.Commit()
}

// benchUpload streams the file as a multipart upload (never whole in memory).
func benchUpload(b *testing.B, base, path string) string {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		defer f.Close()
		fw, _ := mw.CreateFormFile("file", "numbers.txt")
		if _, err := io.Copy(fw, f); err != nil {
			pw.CloseWithError(err)
			return
		}
		mw.WriteField("task_type", "phoneCheck")
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/tasks", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-API-Key", keyA)
	var created struct {
		TaskID string `json:"task_id"`
	}
	benchJSON(b, req, &created)
	return created.TaskID
}

func benchPoll(b *testing.B, base, id string) string {
	for {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/gettasks", strings.NewReader(url.Values{"task_id": {id}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-API-Key", keyA)
		var task struct {
			Status    string `json:"status"`
			ResultURL string `json:"result_url"`
		}
		benchJSON(b, req, &task)
		if task.Status == "exported" {
			return task.ResultURL
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func benchDownload(b *testing.B, resultURL, out string) {
	resp, err := http.Get(resultURL)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if n, err := io.Copy(f, resp.Body); err != nil || resp.StatusCode != 200 || n == 0 {
		b.Fatalf("download: %d, %d bytes, %v", resp.StatusCode, n, err)
	}
}

func benchJSON(b *testing.B, req *http.Request, v any) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		b.Fatalf("%s: %d %s", req.URL.Path, resp.StatusCode, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}
