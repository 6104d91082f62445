// Package store keeps the pipeline's files where every worker can reach
// them: a bucket addressed by URL through gocloud.dev/blob. A plain
// directory or file:///dir is a local (or shared-mount) directory; s3://
// reaches S3 and S3-compatible stores such as MinIO; mem:// is for tests.
//
// Writes are atomic on every backend: a writer's content appears under its
// key on Commit, whole, or not at all.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file://
	_ "gocloud.dev/blob/memblob"  // mem://
	_ "gocloud.dev/blob/s3blob"   // s3://
	"gocloud.dev/gcerrors"
)

// ErrNotFound is returned (wrapped) for a key that does not exist.
var ErrNotFound = errors.New("not found")

// Store is one bucket, or a prefix of one.
type Store struct {
	b   *blob.Bucket
	url string // as given, for messages (holds no secret: credentials come from the environment)
	dir string // the local directory of a file:// store, "" otherwise
	// synced are the directory store's directories whose names are durable.
	synced *syncedDirs
}

// Open opens a store. A location without a scheme is a local directory,
// created if missing. A file:// URL gets the options a shared directory
// needs unless it sets them: temp files beside their target, so the final
// rename never crosses file systems, and no .attrs sidecar files.
func Open(ctx context.Context, location string) (*Store, error) {
	if location == "" {
		return nil, errors.New("store: no location given")
	}
	u, dir, err := parseLocation(location)
	if err != nil {
		return nil, err
	}
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", location, err)
	}
	return &Store{b: b, url: location, dir: dir, synced: &syncedDirs{}}, nil
}

func parseLocation(location string) (bucketURL, dir string, err error) {
	if !strings.Contains(location, "://") {
		abs, err := filepath.Abs(location)
		if err != nil {
			return "", "", fmt.Errorf("store: %w", err)
		}
		location = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	u, err := url.Parse(location)
	if err != nil {
		return "", "", fmt.Errorf("store: %q is not a URL: %w", location, err)
	}
	switch u.Scheme {
	case "file":
		q := u.Query()
		for k, v := range map[string]string{"create_dir": "true", "no_tmp_dir": "true", "metadata": "skip"} {
			if !q.Has(k) {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
		return u.String(), filepath.FromSlash(u.Path), nil
	case "s3", "mem":
		return u.String(), "", nil
	}
	return "", "", fmt.Errorf("store: %q: unsupported scheme %q (use a directory, file://, s3:// or mem://)", location, u.Scheme)
}

// Close releases the bucket.
func (s *Store) Close() error { return s.b.Close() }

// String is the store's location as given.
func (s *Store) String() string { return s.url }

// Location is where a key is for a person: a local path for a directory
// store, a URL otherwise.
func (s *Store) Location(key string) string {
	if s.dir != "" {
		return filepath.Join(s.dir, filepath.FromSlash(key))
	}
	return strings.TrimSuffix(strings.SplitN(s.url, "?", 2)[0], "/") + "/" + key
}

// LocalFile is the file that holds key in a directory store, for a reader
// that needs a file (a zip's random access); ok is false in other stores.
// Objects are never written in place, so the file is the object as long as
// key is not written again.
func (s *Store) LocalFile(key string) (path string, ok bool) {
	if s.dir == "" {
		return "", false
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), true
}

// Writer writes one object. Nothing is visible under the key before
// Commit; Abort (or a failed Commit) leaves the key as it was.
type Writer struct {
	w      *blob.Writer
	cancel context.CancelFunc
	key    string
	done   bool
	// file is a directory store's temp file, synced on Commit, and root
	// the store's directory, up to which the new names are synced; existed
	// is the deepest directory of the key's that existed before the write.
	file    *os.File
	root    string
	existed string
	synced  *syncedDirs
}

// Create starts writing key.
func (s *Store) Create(ctx context.Context, key string) (*Writer, error) {
	ctx, cancel := context.WithCancel(ctx)
	sw := &Writer{cancel: cancel, key: key, root: s.dir, synced: s.synced}
	opts := &blob.WriterOptions{ContentType: contentType(key)}
	if s.dir != "" {
		sw.existed = existingAncestor(filepath.Dir(filepath.Join(s.dir, filepath.FromSlash(key))), s.dir)
		opts.BeforeWrite = func(as func(any) bool) error {
			as(&sw.file)
			return nil
		}
	}
	w, err := s.b.NewWriter(ctx, key, opts)
	if err != nil {
		cancel()
		return nil, s.fail("create", key, err)
	}
	sw.w = w
	return sw, nil
}

func (w *Writer) Write(p []byte) (int, error) { return w.w.Write(p) }

// ReadFrom lets io.Copy hand the writer its source whole. A source of known
// size under smallCopy goes through a buffer of its size: the blob writer's
// own ReadFrom takes 1 MiB for any size, which was most of the garbage a
// burst of small files made.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if size, ok := sizeOf(r); ok && size < smallCopy {
		// The wrappers hide ReadFrom and WriteTo, which would bring back
		// the large buffer.
		return io.CopyBuffer(struct{ io.Writer }{w.w}, struct{ io.Reader }{r}, make([]byte, size+1))
	}
	return w.w.ReadFrom(r)
}

const smallCopy = 1 << 20

// sizeOf is r's size when r knows it: another object's reader, or a file.
func sizeOf(r io.Reader) (int64, bool) {
	switch r := r.(type) {
	case interface{ Size() int64 }:
		return r.Size(), true
	case *os.File:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size(), true
		}
	}
	return 0, false
}

// Commit makes the object visible under its key.
func (w *Writer) Commit() error {
	if w.done {
		return errors.New("store: writer already closed")
	}
	w.done = true
	defer w.cancel()
	if w.file != nil {
		// A directory store renames its temp file into place on Close:
		// its data reaches the disk first, and the new names after, so a
		// committed object survives a power cut whole.
		if err := w.file.Sync(); err != nil {
			w.w.Close()
			return fmt.Errorf("store: write %s: %w", w.key, err)
		}
	}
	if err := w.w.Close(); err != nil {
		return fmt.Errorf("store: write %s: %w", w.key, err)
	}
	if w.file != nil {
		if err := w.synced.syncUp(filepath.Dir(w.file.Name()), w.root, w.existed); err != nil {
			return fmt.Errorf("store: write %s: %w", w.key, err)
		}
	}
	return nil
}

// Abort discards what was written; it is a no-op after Commit.
func (w *Writer) Abort() {
	if !w.done {
		w.done = true
		w.cancel() // a cancelled context makes Close discard the upload
		_ = w.w.Close()
	}
}

// Open reads key.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.fail("read", key, err)
	}
	return r, nil
}

// ReadAll reads a small object whole.
func (s *Store) ReadAll(ctx context.Context, key string) ([]byte, error) {
	b, err := s.b.ReadAll(ctx, key)
	if err != nil {
		return nil, s.fail("read", key, err)
	}
	return b, nil
}

// WriteAll writes a small object atomically.
func (s *Store) WriteAll(ctx context.Context, key string, data []byte) error {
	w, err := s.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return s.fail("write", key, err)
	}
	return w.Commit()
}

// Put copies a local file into key.
func (s *Store) Put(ctx context.Context, key, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w, err := s.Create(ctx, key)
	if err != nil {
		return 0, err
	}
	n, err := w.ReadFrom(f) // not io.Copy, which would hide f behind its WriteTo
	if err != nil {
		w.Abort()
		return 0, s.fail("write", key, err)
	}
	return n, w.Commit()
}

// Fetch copies key into a local file (through a temp file and a rename):
// for readers that need random access, such as a zip reader.
func (s *Store) Fetch(ctx context.Context, key, path string) error {
	r, err := s.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return s.fail("read", key, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Exists tells whether key exists.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.b.Exists(ctx, key)
	if err != nil {
		return false, s.fail("check", key, err)
	}
	return ok, nil
}

// Size is the size of key in bytes.
func (s *Store) Size(ctx context.Context, key string) (int64, error) {
	a, err := s.b.Attributes(ctx, key)
	if err != nil {
		return 0, s.fail("check", key, err)
	}
	return a.Size, nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return s.fail("delete", key, err)
	}
	return nil
}

// List calls fn with every key under prefix and its modification time, in
// key order; fn's error stops the listing and is returned.
func (s *Store) List(ctx context.Context, prefix string, fn func(key string, modTime time.Time) error) error {
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s.fail("list", prefix, err)
		}
		if obj.IsDir {
			continue
		}
		if err := fn(obj.Key, obj.ModTime); err != nil {
			return err
		}
	}
}

// DeletePrefix removes every key under prefix (a "directory").
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.fail("list", prefix, err)
		}
		if !obj.IsDir {
			if err := s.Delete(ctx, obj.Key); err != nil {
				return err
			}
		}
	}
	if s.dir != "" { // fileblob leaves empty directories behind
		_ = s.removeEmptyDirs(filepath.Join(s.dir, filepath.FromSlash(prefix)))
	}
	return nil
}

// Accessible checks that the store can be reached (for doctor and startup).
func (s *Store) Accessible(ctx context.Context) error {
	if _, err := s.b.IsAccessible(ctx); err != nil {
		return fmt.Errorf("store %s: %w", s.url, err)
	}
	_, err := s.b.Exists(ctx, ".phonecheck-probe")
	if err != nil {
		return fmt.Errorf("store %s: %w", s.url, err)
	}
	return nil
}

func (s *Store) fail(op, key string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("store: %s %s in %s: %w", op, key, s.url, ErrNotFound)
	}
	return fmt.Errorf("store: %s %s in %s: %w", op, key, s.url, err)
}

func (s *Store) removeEmptyDirs(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			_ = s.removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
	if err := os.Remove(dir); err != nil {
		return err // as it should, while anything is left
	}
	s.synced.forget(dir) // made again, its name is new
	return nil
}

func contentType(key string) string {
	switch strings.ToLower(filepath.Ext(key)) {
	case ".csv":
		return "text/csv"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".jsonl":
		return "application/x-ndjson"
	case ".json":
		return "application/json"
	case ".zip":
		return "application/zip"
	case ".html":
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}
