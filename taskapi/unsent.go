package taskapi

import (
	"context"
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"sync"
	"time"
)

// drainWatch kicks a call's watchdog while the bytes of its request that
// the peer has not yet acknowledged go down. Once a request's body is
// written into the kernel's socket buffers (megabytes, on a fast local
// link) the body reader sees no progress, although a slow link or a
// slowly reading service still takes it in; without this, a small upload
// to a service that reads at a few kB/s would time out "without progress"
// after it was sent whole, and be ambiguous.
type drainWatch struct {
	mu   sync.Mutex
	conn net.Conn
}

// trace returns ctx with a trace that records the request's connection.
func (d *drainWatch) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		c := info.Conn
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		d.mu.Lock()
		d.conn = c
		d.mu.Unlock()
	}})
}

// run polls the connection's unacknowledged bytes every interval until
// done closes, and kicks w whenever they went down.
func (d *drainWatch) run(w *watchdog, interval time.Duration, done <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := -1
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		d.mu.Lock()
		c := d.conn
		d.mu.Unlock()
		if c == nil {
			continue
		}
		n, ok := unacked(c)
		if !ok {
			return // not known on this platform or connection
		}
		if last >= 0 && n < last {
			w.kick()
		}
		last = n
	}
}

// drainInterval is how often an upload's unacknowledged bytes are read.
var drainInterval = time.Second
