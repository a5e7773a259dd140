// Package connwatch follows the state of a NATS connection, so that work
// waiting on NATS can fail at once when the connection is lost instead of
// hanging until its deadline, and so that operators see it: losing and
// regaining the connection is logged and counted.
package connwatch

import (
	"context"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Watcher follows one connection through nc.StatusChanged, which leaves
// the connection's own handlers to their owner. It is safe for concurrent
// use; Stop ends it.
type Watcher struct {
	nc          *nats.Conn
	log         *zap.Logger
	events      chan nats.Status
	done        chan struct{}
	wg          sync.WaitGroup
	connected   prometheus.Gauge
	disconnects prometheus.Counter

	mu     sync.Mutex
	up     bool
	ctx    context.Context // cancelled when the connection is lost
	cancel context.CancelFunc
}

// Watch starts following nc.
func Watch(nc *nats.Conn, log *zap.Logger) *Watcher {
	w := &Watcher{
		nc: nc, log: log, done: make(chan struct{}),
		events: nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ndxp_nats_connected",
			Help: "1 while the hub's NATS connection is up, 0 while it is lost.",
		}),
		disconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ndxp_nats_disconnects_total",
			Help: "Times the hub lost its NATS connection.",
		}),
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.up = true
	w.connected.Set(1)
	if !nc.IsConnected() {
		w.set(false)
	}
	w.wg.Go(w.run)
	return w
}

func (w *Watcher) run() {
	for {
		select {
		case <-w.done:
			return
		case <-w.events:
			// Events can be dropped when the channel is full, so the
			// connection's current state is what counts.
			w.set(w.nc.IsConnected())
		}
	}
}

func (w *Watcher) set(up bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if up == w.up {
		return
	}
	w.up = up
	if !up {
		w.cancel()
		w.connected.Set(0)
		w.disconnects.Inc()
		w.log.Warn("NATS connection lost: exchanges fail with UNAVAILABLE until it is back", zap.Error(w.nc.LastError()), zap.String("status", w.nc.Status().String()))
		return
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.connected.Set(1)
	w.log.Info("NATS connection regained", zap.String("server", w.nc.ConnectedUrlRedacted()))
}

// Context is cancelled when the connection is lost; while it is down, the
// context returned is cancelled already. Take a new one for new work.
func (w *Watcher) Context() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctx
}

// Within derives from ctx a context that is also cancelled, with cause as
// its cause, when lost ends (a Watcher's Context: the connection is lost).
// When lost has ended already, it returns cause at once: work that needs
// the connection fails then rather than waiting for its deadline on a
// connection that only buffers its requests. release frees the context.
func Within(ctx, lost context.Context, cause error) (_ context.Context, release func(), _ error) {
	if lost.Err() != nil {
		return nil, nil, cause
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(lost, func() { cancel(cause) })
	return ctx, func() { stop(); cancel(nil) }, nil
}

// Connected reports whether the connection is up.
func (w *Watcher) Connected() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.up
}

// Collectors are the gauge ndxp_nats_connected and the counter
// ndxp_nats_disconnects_total.
func (w *Watcher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{w.connected, w.disconnects}
}

// Stop stops following the connection.
func (w *Watcher) Stop() {
	close(w.done)
	w.wg.Wait()
	w.nc.RemoveStatusListener(w.events)
}
