package validate

import (
	"context"
	"sync"
)

// inOrder runs a validation as a pipeline: read fills batches one after
// another, workers process them on every core, and write takes them in
// read order, so output keeps input order with memory for a few batches per
// worker. Written batches are reused (newBatch makes the first ones). It
// stops when read says there is no more, at the first read or write error,
// or when ctx ends.
func inOrder[B any](ctx context.Context, workers int, newBatch func() *B,
	read func(*B) (more bool, err error), worker func() func(*B), write func(*B) error) (readErr, writeErr error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type item struct {
		b    *B
		done chan struct{}
	}
	work := make(chan *item, workers)
	ordered := make(chan *item, 2*workers) // bounds the batches in flight
	free := make(chan *B, 3*workers+1)     // more than can be in flight

	go func() {
		defer close(work)
		defer close(ordered)
		for {
			var b *B
			select {
			case b = <-free:
			default:
				b = newBatch()
			}
			more, err := read(b)
			if err != nil {
				readErr = err
			}
			if !more || err != nil {
				return
			}
			it := &item{b: b, done: make(chan struct{})}
			select {
			case work <- it:
			case <-ctx.Done():
				return
			}
			select {
			case ordered <- it:
			case <-ctx.Done():
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			process := worker()
			for it := range work {
				process(it.b)
				close(it.done)
			}
		}()
	}

	for it := range ordered {
		<-it.done
		if writeErr = write(it.b); writeErr != nil {
			break
		}
		select {
		case free <- it.b:
		default:
		}
	}
	cancel()
	for range ordered { // let the reader exit after a write error
	}
	wg.Wait()
	return readErr, writeErr
}
