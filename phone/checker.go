package phone

import "hash/maphash"

// Checker validates lines against one default region and remembers recent
// answers: bulk files repeat numbers, and a repeat costs a hash and a
// comparison instead of a check. A Checker is not safe for concurrent use;
// give each goroutine its own.
type Checker struct {
	region string
	seed   maphash.Seed
	mask   uint64
	slots  []cacheSlot // direct-mapped by the hash of the trimmed line
}

type cacheSlot struct {
	key string
	r   Result
}

// DefaultCacheSize is a cache size for inputs that repeat many lines. With
// the compiled engine a check costs less than a microsecond, about what a
// cache of this size costs per line in hashing, copying and the garbage
// collector's scanning of its rows: it pays only where most lines repeat
// (measured on the benchmark corpus, where one line in ten does, it costs
// a quarter more CPU).
const DefaultCacheSize = 1 << 13

// NewChecker returns a Checker for a region already checked by NormalizeRegion.
// cacheSize 0 disables the cache.
func NewChecker(region string, cacheSize int) *Checker {
	c := &Checker{region: region, seed: maphash.MakeSeed()}
	if cacheSize > 0 {
		n := 1
		for n < cacheSize {
			n <<= 1
		}
		c.slots = make([]cacheSlot, n)
		c.mask = uint64(n - 1)
	}
	return c
}

// Region is the default region the Checker reads national numbers against.
func (c *Checker) Region() string { return c.region }

// Check is the package-level Check with this Checker's region and cache.
func (c *Checker) Check(input string, line int) Result {
	if c.slots == nil {
		return Check(input, line, c.region)
	}
	// The cached row's Input and Line belong to the first occurrence; every
	// other column depends only on the trimmed text and the region. A line
	// that trims to nothing is not cached (the empty key marks a free slot).
	key := trimSpace(input)
	slot := &c.slots[maphash.String(c.seed, key)&c.mask]
	if slot.key != key || key == "" {
		slot.r = Check(input, line, c.region)
		slot.key = key
	}
	r := slot.r
	r.Input, r.Line = input, line
	return r
}
