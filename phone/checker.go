package phone

// Checker validates lines against one default region and remembers recent
// answers: bulk files repeat numbers, and a repeat costs a map lookup instead
// of a parse. A Checker is not safe for concurrent use; give each goroutine its own.
type Checker struct {
	region   string
	limit    int
	cur, old map[string]Result // two generations: a bounded cache without LRU bookkeeping
}

// DefaultCacheSize is how many distinct lines a Checker remembers (per generation).
const DefaultCacheSize = 1 << 13

// NewChecker returns a Checker for a region already checked by NormalizeRegion.
// cacheSize 0 disables the cache.
func NewChecker(region string, cacheSize int) *Checker {
	c := &Checker{region: region, limit: cacheSize}
	if cacheSize > 0 {
		c.cur = make(map[string]Result, cacheSize)
	}
	return c
}

// Region is the default region the Checker reads national numbers against.
func (c *Checker) Region() string { return c.region }

// Check is the package-level Check with this Checker's region and cache.
func (c *Checker) Check(input string, line int) Result {
	if c.limit == 0 {
		return Check(input, line, c.region)
	}
	// The cached row's Input and Line belong to the first occurrence; every
	// other column depends only on the trimmed text and the region.
	key := TrimSpace(input)
	r, ok := c.cur[key]
	if !ok {
		if r, ok = c.old[key]; !ok {
			r = Check(input, line, c.region)
		}
		c.remember(key, r)
	}
	r.Input, r.Line = input, line
	return r
}

func (c *Checker) remember(key string, r Result) {
	if len(c.cur) >= c.limit {
		c.old, c.cur = c.cur, make(map[string]Result, c.limit)
	}
	c.cur[key] = r
}
