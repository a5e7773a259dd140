package grpcapi

import "sync"

// watches lets the server end every stream that never finishes by itself
// (WatchStats, Subscribe, ReceiveDocuments) at shutdown, so that a
// graceful stop does not wait for them. The zero value is ready.
type watches struct {
	mu     sync.Mutex
	ch     chan struct{}
	closed bool
}

// done is closed by end.
func (w *watches) done() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.chanLocked()
}

// chanLocked returns the channel, making it if needed; mu must be held.
func (w *watches) chanLocked() chan struct{} {
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// end ends every watch, now and later.
func (w *watches) end() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		close(w.chanLocked())
		w.closed = true
	}
}
