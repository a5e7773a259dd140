package hub

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/txlog"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// ErrRecordStoreFull: the record stream is (nearly) full, so an exchange
// could not be recorded; the hub refuses it before serving it.
var ErrRecordStoreFull = errors.New("hub: the transaction record store is full")

// Record store watching.
const (
	storePoll     = time.Second
	storeWarnAt   = 0.8  // usage that logs a warning
	storeRearmAt  = 0.75 // usage under which the warning is logged again
	storeLogEvery = 10 * time.Second
	maxReserve    = 64 << 20
)

// reserve is the room kept free for the records of transactions already
// under way and of refusals counted in aggregate: the hub stops admitting
// exchanges when less is left. 5% of the limit, at most 64 MiB (about
// 200,000 records).
func reserve(limit int64) uint64 { return uint64(min(limit/20, maxReserve)) }

// recordStore watches how full the record stream is, so that the hub
// refuses exchanges (UNAVAILABLE, metric, log line) before the stream
// would have to refuse their records. Its figure is the stream's size at
// the last poll (every second, by every hub) plus the records this hub
// stored since. It is safe for concurrent use.
type recordStore struct {
	log    *zap.Logger
	stream string
	usage  func(context.Context) (txlog.Usage, error)

	used    atomic.Uint64
	limit   atomic.Int64
	warned  atomic.Bool
	lastLog atomic.Int64 // unix nanoseconds of the last "full" log line

	refused prometheus.Counter
	ratio   prometheus.GaugeFunc

	stopc, done chan struct{}
}

func newRecordStore(log *zap.Logger, stream string, usage func(context.Context) (txlog.Usage, error)) *recordStore {
	s := &recordStore{log: log, stream: stream, usage: usage, stopc: make(chan struct{}), done: make(chan struct{})}
	s.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ndxp_records_store_full_refusals_total",
		Help: "Exchanges and sends this hub refused because the transaction record stream was full.",
	})
	s.ratio = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ndxp_records_store_used_ratio",
		Help: "Fraction of the transaction record stream's size limit in use; at 1 minus the reserve the hub refuses exchanges.",
	}, s.usedRatio)
	return s
}

// start reads the usage once, then polls it until stop.
func (s *recordStore) start(ctx context.Context) error {
	if err := s.poll(ctx); err != nil {
		return err
	}
	go s.loop()
	return nil
}

func (s *recordStore) loop() {
	defer close(s.done)
	t := time.NewTicker(storePoll)
	defer t.Stop()
	for {
		select {
		case <-s.stopc:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), storePoll)
			if err := s.poll(ctx); err != nil {
				s.log.Debug("record store usage not read", zap.Error(err))
			}
			cancel()
		}
	}
}

func (s *recordStore) stop() {
	select {
	case <-s.stopc:
	default:
		close(s.stopc)
	}
	<-s.done
}

func (s *recordStore) poll(ctx context.Context) error {
	u, err := s.usage(ctx)
	if err != nil {
		return err
	}
	s.limit.Store(u.MaxBytes)
	s.used.Store(u.Bytes)
	s.checkWarning()
	return nil
}

// note accounts for the outcome err of storing rec: its size when it was
// stored, a full stream when the stream refused it.
func (s *recordStore) note(rec *hubv1.TransactionRecord, err error) {
	switch {
	case err == nil:
		s.used.Add(uint64(txlog.StoredSize(rec)))
		s.checkWarning()
	case errors.Is(err, txlog.ErrFull):
		s.markFull()
	}
}

// markFull notes that the stream refused a record: it is full whatever
// the last poll said.
func (s *recordStore) markFull() {
	if l := s.limit.Load(); l > 0 {
		s.used.Store(uint64(l))
	}
	s.checkWarning()
}

func (s *recordStore) usedRatio() float64 {
	l := s.limit.Load()
	if l <= 0 {
		return 0
	}
	return float64(s.used.Load()) / float64(l)
}

// checkWarning logs once when usage passes storeWarnAt.
func (s *recordStore) checkWarning() {
	r := s.usedRatio()
	switch {
	case r >= storeWarnAt && s.warned.CompareAndSwap(false, true):
		s.log.Warn("the transaction record store is filling up; when it is full the hub refuses exchanges: raise --records-max-bytes or shorten --records-max-age",
			zap.String("stream", s.stream), zap.Float64("used_ratio", r), zap.Int64("max_bytes", s.limit.Load()))
	case r < storeRearmAt:
		s.warned.Store(false)
	}
}

// admit refuses a new transaction when less than the reserve is left,
// counting and (at most every storeLogEvery) logging the refusal.
func (s *recordStore) admit() error {
	l := s.limit.Load()
	used := s.used.Load()
	if l <= 0 || used+reserve(l) < uint64(l) {
		return nil
	}
	s.refused.Inc()
	now := time.Now().UnixNano()
	if last := s.lastLog.Load(); now-last >= int64(storeLogEvery) && s.lastLog.CompareAndSwap(last, now) {
		s.log.Error("refusing exchanges: the transaction record store is full and no record may be discarded; raise --records-max-bytes or shorten --records-max-age",
			zap.String("stream", s.stream), zap.Uint64("used_bytes", used), zap.Int64("max_bytes", l))
	}
	return fmt.Errorf("%w: %s holds %d of its %d bytes (the last %d are kept for transactions under way), so no further exchange can be recorded and none is served; the operator must raise --records-max-bytes or shorten --records-max-age so that old records expire",
		ErrRecordStoreFull, s.stream, used, l, reserve(l))
}

// collectors are the store's Prometheus collectors.
func (s *recordStore) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.refused, s.ratio}
}
