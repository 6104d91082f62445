package validate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

var input1M = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	corpus.New(1).Write(&b, 1_000_000)
	return b.Bytes()
})

type discard struct{}

func (discard) Write(*phone.Result) error { return nil }

func BenchmarkRunDiscard1M(b *testing.B) {
	in := input1M()
	b.ResetTimer()
	for range b.N {
		if _, err := Run(context.Background(), bytes.NewReader(in), discard{}, Options{Region: corpus.Region}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunCSV1M(b *testing.B) {
	in := input1M()
	for _, cache := range []int{0, -1} {
		b.Run(fmt.Sprintf("cache=%d", cache), func(b *testing.B) {
			for range b.N {
				w, _ := results.NewWriter(results.CSV, io.Discard)
				if _, err := Run(context.Background(), bytes.NewReader(in), w, Options{Region: corpus.Region, CacheSize: cache}); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
		})
	}
}
