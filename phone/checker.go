package phone

import "strings"

// Checker validates lines against one default region. Plain lines (digits
// and separators) cost well under a microsecond, less than looking them up
// would; lines that need nyaruka's general parser cost ten times more and in
// bulk files are mostly the same few junk values ("n/a", "0", "tbd"), so a
// Checker remembers the rows of those. A Checker is not safe for concurrent
// use; give each goroutine its own.
type Checker struct {
	region string
	memo   *slowMemo
}

// slowMemo holds the rows of lines that took the general path, by trimmed
// text; it starts over when full.
type slowMemo struct {
	limit int
	rows  map[string]Result
}

func (m *slowMemo) remember(key string, r *Result) {
	if len(m.rows) >= m.limit {
		clear(m.rows)
	}
	// The line may be a slice of a larger buffer (validate reads a batch
	// into one string): keep copies, not the buffer.
	row := *r
	row.Input, row.Number = "", strings.Clone(row.Number)
	m.rows[strings.Clone(key)] = row
}

// DefaultCacheSize is how many lines that needed the general parser a
// Checker remembers.
const DefaultCacheSize = 1 << 12

// NewChecker returns a Checker for a region already checked by NormalizeRegion.
// cacheSize 0 disables the cache.
func NewChecker(region string, cacheSize int) *Checker {
	c := &Checker{region: region}
	if cacheSize > 0 {
		c.memo = &slowMemo{limit: cacheSize, rows: make(map[string]Result)}
	}
	return c
}

// Region is the default region the Checker reads national numbers against.
func (c *Checker) Region() string { return c.region }

// Check is the package-level Check with this Checker's region and cache.
// A remembered row gets this line's Input and Line: every other column
// depends only on the trimmed text and the region.
func (c *Checker) Check(input string, line int) Result {
	r := Result{Input: input, Line: line}
	check(&r, c.region, true, c.memo)
	return r
}
