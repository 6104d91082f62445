// Package taskdb keeps the offline API server's state in one SQLite file:
// task metadata (the task queue too) and the charge ledger. It is pure Go
// (modernc.org/sqlite), so the server needs no C toolchain.
package taskdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Task statuses, in lifecycle order; Failed ends a task whose result could
// not be written.
const (
	Pending    = "pending"
	Processing = "processing"
	Exported   = "exported"
	Failed     = "failed"
)

// Charged endpoints, as the ledger names them.
const (
	EndpointTasks    = "tasks"
	EndpointGetTasks = "gettasks"
)

var (
	// ErrNotFound: no such task for this user.
	ErrNotFound = errors.New("store: task not found")
	// ErrLimit: the user has used the daily limit.
	ErrLimit = errors.New("store: daily limit reached")
	// ErrDuplicate: the user has a task with this idempotency key already.
	ErrDuplicate = errors.New("store: a task with this idempotency key exists")
)

// Task is one uploaded file's metadata.
type Task struct {
	ID, UserID, Status      string
	Total, Success, Failure int64
	Error                   string // why a Failed task failed
	// IdempotencyKey, if set, makes the task the answer to every later
	// upload of the user with the same key (see CreateTask).
	IdempotencyKey       string
	CreatedAt, UpdatedAt time.Time
}

// Charge is one row of the ledger: a billed 200 response.
type Charge struct {
	At       time.Time
	UserID   string
	Endpoint string // EndpointTasks or EndpointGetTasks
	TaskID   string
}

// Day is the UTC calendar day a charge counts against.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// DB is safe for concurrent use.
type DB struct{ db *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS tasks (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL,
	status     TEXT NOT NULL,
	total      INTEGER NOT NULL,
	success    INTEGER NOT NULL DEFAULT 0,
	failure    INTEGER NOT NULL DEFAULT 0,
	error      TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL, -- unix nanoseconds
	updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks(status, created_at);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created_at);
CREATE TABLE IF NOT EXISTS charges (
	seq      INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL, -- unix nanoseconds
	day      TEXT NOT NULL,    -- UTC YYYY-MM-DD
	user_id  TEXT NOT NULL,
	endpoint TEXT NOT NULL,
	task_id  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS charges_user_day ON charges(user_id, day);
CREATE INDEX IF NOT EXISTS charges_at ON charges(at);
`

// Open opens (creating if needed) the database at path.
func Open(path string) (*DB, error) {
	// WAL with full sync: a charge or task that was answered with 200 survives
	// a crash. Immediate transactions take the write lock up front, so the
	// daily-limit check and the charge it guards cannot interleave.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One connection: SQLite has one writer anyway, and this rules out
	// SQLITE_BUSY between our own goroutines. Every statement is short.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// migrate adds what later versions added to an older database: the
// idempotency key of tasks.
func migrate(db *sql.DB) error {
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('tasks') WHERE name = 'idem_key'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := db.Exec(`ALTER TABLE tasks ADD COLUMN idem_key TEXT NOT NULL DEFAULT ''`); err != nil {
			return err
		}
	}
	_, err := db.Exec(`CREATE INDEX IF NOT EXISTS tasks_idem ON tasks(user_id, idem_key) WHERE idem_key != ''`)
	return err
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// Ping checks that the database is open and answers.
func (s *DB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// CreateTask records a new pending task and its upload charge in one
// transaction; limit > 0 refuses with ErrLimit once the user's charges of
// the charge's day reach it. A task with an IdempotencyKey the user has
// used before is not created: ErrDuplicate (TaskByKey finds the first one).
func (s *DB) CreateTask(ctx context.Context, t Task, limit int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if t.IdempotencyKey != "" {
			// The transaction holds the write lock: no other upload with
			// this key can come in between.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE user_id = ? AND idem_key = ?`,
				t.UserID, t.IdempotencyKey).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrDuplicate
			}
		}
		if err := checkLimit(ctx, tx, t.UserID, t.CreatedAt, limit); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO tasks (id, user_id, status, total, created_at, updated_at, idem_key) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.UserID, Pending, t.Total, t.CreatedAt.UnixNano(), t.CreatedAt.UnixNano(), t.IdempotencyKey); err != nil {
			return err
		}
		return insertCharge(ctx, tx, Charge{At: t.CreatedAt, UserID: t.UserID, Endpoint: EndpointTasks, TaskID: t.ID})
	})
}

// GetTask returns the user's task and records the gettasks charge for it at
// time at, within limit as in CreateTask. Another user's task is ErrNotFound.
func (s *DB) GetTask(ctx context.Context, id, userID string, at time.Time, limit int) (Task, error) {
	var t Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = scanTask(tx.QueryRowContext(ctx, selectTask+` WHERE id = ? AND user_id = ?`, id, userID)); err != nil {
			return err
		}
		if err := checkLimit(ctx, tx, userID, at, limit); err != nil {
			return err
		}
		return insertCharge(ctx, tx, Charge{At: at, UserID: userID, Endpoint: EndpointGetTasks, TaskID: id})
	})
	return t, err
}

// TaskByKey returns the user's task created with an idempotency key, without
// charging; ErrNotFound if there is none.
func (s *DB) TaskByKey(ctx context.Context, userID, key string) (Task, error) {
	return scanTask(s.db.QueryRowContext(ctx, selectTask+` WHERE user_id = ? AND idem_key = ? AND idem_key != '' ORDER BY created_at LIMIT 1`, userID, key))
}

// Task returns a task without charging anyone (for result downloads).
func (s *DB) Task(ctx context.Context, id string) (Task, error) {
	return scanTask(s.db.QueryRowContext(ctx, selectTask+` WHERE id = ?`, id))
}

// Used counts the user's charges on the UTC day of t, by endpoint.
func (s *DB) Used(ctx context.Context, userID string, t time.Time) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT endpoint, COUNT(*) FROM charges WHERE user_id = ? AND day = ? GROUP BY endpoint`, userID, Day(t))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	used := map[string]int64{}
	for rows.Next() {
		var e string
		var n int64
		if err := rows.Scan(&e, &n); err != nil {
			return nil, err
		}
		used[e] = n
	}
	return used, rows.Err()
}

// ChargeFilter selects ledger rows; empty fields match everything.
type ChargeFilter struct {
	UserID, Endpoint, TaskID string
}

// Charges returns the ledger rows that match f, oldest first.
func (s *DB) Charges(ctx context.Context, f ChargeFilter) ([]Charge, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, user_id, endpoint, task_id FROM charges
		WHERE (?1 = '' OR user_id = ?1) AND (?2 = '' OR endpoint = ?2) AND (?3 = '' OR task_id = ?3)
		ORDER BY seq`, f.UserID, f.Endpoint, f.TaskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Charge
	for rows.Next() {
		var c Charge
		var at int64
		if err := rows.Scan(&at, &c.UserID, &c.Endpoint, &c.TaskID); err != nil {
			return nil, err
		}
		c.At = time.Unix(0, at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// Requeue puts tasks caught in processing by a crash or shutdown back to
// pending, so they are processed again from their stored input. Call it
// before any worker starts.
func (s *DB) Requeue(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE tasks SET status = ?, success = 0, failure = 0 WHERE status = ?`, Pending, Processing)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Claim moves the oldest pending task to processing and returns it; ok is
// false when none is pending.
func (s *DB) Claim(ctx context.Context, at time.Time) (t Task, ok bool, err error) {
	t, err = scanTask(s.db.QueryRowContext(ctx, `UPDATE tasks SET status = ?, success = 0, failure = 0, updated_at = ?
		WHERE id = (SELECT id FROM tasks WHERE status = ? ORDER BY created_at, id LIMIT 1)
		RETURNING `+taskColumns, Processing, at.UnixNano(), Pending))
	if errors.Is(err, ErrNotFound) {
		return Task{}, false, nil
	}
	return t, err == nil, err
}

// Progress records a processing task's counters.
func (s *DB) Progress(ctx context.Context, id string, success, failure int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE tasks SET success = ?, failure = ?, updated_at = ? WHERE id = ? AND status = ?`,
		success, failure, at.UnixNano(), id, Processing)
	return err
}

// Finish ends a processing task as Exported or Failed (with a reason).
func (s *DB) Finish(ctx context.Context, id, status, reason string, success, failure int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE tasks SET status = ?, error = ?, success = ?, failure = ?, updated_at = ? WHERE id = ? AND status = ?`,
		status, reason, success, failure, at.UnixNano(), id, Processing)
	return err
}

// CreatedBefore lists the ids of tasks created before t.
func (s *DB) CreatedBefore(ctx context.Context, t time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM tasks WHERE created_at < ?`, t.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Delete removes a task's metadata.
func (s *DB) Delete(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM tasks WHERE id = ?`, id)
	return err
}

// PruneCharges removes ledger rows older than t.
func (s *DB) PruneCharges(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM charges WHERE at < ?`, t.UnixNano())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func checkLimit(ctx context.Context, tx *sql.Tx, userID string, at time.Time, limit int) error {
	if limit <= 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM charges WHERE user_id = ? AND day = ?`, userID, Day(at)).Scan(&n); err != nil {
		return err
	}
	if n >= limit {
		return ErrLimit
	}
	return nil
}

func insertCharge(ctx context.Context, tx *sql.Tx, c Charge) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO charges (at, day, user_id, endpoint, task_id) VALUES (?, ?, ?, ?, ?)`,
		c.At.UnixNano(), Day(c.At), c.UserID, c.Endpoint, c.TaskID)
	return err
}

const taskColumns = `id, user_id, status, total, success, failure, error, created_at, updated_at, idem_key`
const selectTask = `SELECT ` + taskColumns + ` FROM tasks`

func scanTask(row *sql.Row) (Task, error) {
	var t Task
	var created, updated int64
	err := row.Scan(&t.ID, &t.UserID, &t.Status, &t.Total, &t.Success, &t.Failure, &t.Error, &created, &updated, &t.IdempotencyKey)
	if errors.Is(err, sql.ErrNoRows) {
		return Task{}, ErrNotFound
	}
	if err != nil {
		return Task{}, err
	}
	t.CreatedAt, t.UpdatedAt = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	return t, nil
}
