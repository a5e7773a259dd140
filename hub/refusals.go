package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nuid"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// refusalFlush is how often aggregated refusals are recorded.
const refusalFlush = time.Second

// maxRefusalKeys bounds the distinct aggregates one consumer may open per
// flush; its further refusals go into one catch-all aggregate (provider
// and service "?", today's business day), so that varying the service or
// the business time cannot turn a flood back into a record per refusal.
const maxRefusalKeys = 32

// aggregated reports whether a refusal is counted in aggregate rather than
// recorded alone: refusals by the consumer's rate limit or daily quota,
// which a flood produces by the thousand and which carry nothing an
// auditor needs one by one.
func aggregated(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrQuotaExceeded)
}

type refusalKey struct {
	consumer, provider, service string
	code                        int32
	day                         string
}

// refusals aggregates refusals into one record per consumer, provider,
// service, code and business day, recorded once a second with its count.
// It is safe for concurrent use; stop flushes what is pending.
type refusals struct {
	record func(*hubv1.TransactionRecord) error
	log    *zap.Logger

	mu      sync.Mutex
	pending map[refusalKey]*hubv1.TransactionRecord
	keys    map[string]int // distinct aggregates per consumer since the last flush
	// retry holds aggregates whose storing failed, retried unchanged (same
	// message id), since they may have been stored after all; flush alone
	// uses it.
	retry []*hubv1.TransactionRecord

	syncc    chan chan struct{}
	stopOnce sync.Once
	stopc    chan struct{}
	done     chan struct{}
}

func newRefusals(record func(*hubv1.TransactionRecord) error, log *zap.Logger) *refusals {
	r := &refusals{
		record: record, log: log, pending: map[refusalKey]*hubv1.TransactionRecord{}, keys: map[string]int{},
		syncc: make(chan chan struct{}), stopc: make(chan struct{}), done: make(chan struct{}),
	}
	go r.loop()
	return r
}

// add counts the refusal tx (sanitized, with its code) in its aggregate.
func (r *refusals) add(tx *hubv1.TransactionRecord) {
	k := refusalKey{consumer: tx.Consumer, provider: tx.Provider, service: tx.Service, code: tx.Code, day: vn.Day(tx.BusinessTime.AsTime())}
	r.mu.Lock()
	defer r.mu.Unlock()
	agg := r.pending[k]
	if agg == nil && r.keys[k.consumer] >= maxRefusalKeys {
		k.provider, k.service, k.day = "?", "?", vn.Day(tx.ReceivedAt.AsTime())
		agg = r.pending[k]
	}
	if agg != nil {
		agg.Count++
		agg.RequestSize += tx.RequestSize
		agg.AnsweredAt = tx.AnsweredAt
		return
	}
	r.keys[k.consumer]++
	bt := tx.BusinessTime
	if vn.Day(bt.AsTime()) != k.day {
		bt = tx.ReceivedAt
	}
	r.pending[k] = &hubv1.TransactionRecord{
		MessageId: "refusals-" + nuid.Next(), Consumer: k.consumer, Provider: k.provider, Service: k.service,
		Code: k.code, Error: tx.Error, RequestSize: tx.RequestSize, BusinessTime: bt,
		ReceivedAt: tx.ReceivedAt, AnsweredAt: tx.AnsweredAt, HubId: tx.HubId, Count: 1,
	}
}

func (r *refusals) loop() {
	defer close(r.done)
	t := time.NewTicker(refusalFlush)
	defer t.Stop()
	for {
		select {
		case <-r.stopc:
			r.flush()
			return
		case <-t.C:
			r.flush()
		case ack := <-r.syncc:
			r.flush()
			close(ack)
		}
	}
}

// flush records every pending aggregate and waits until they are stored;
// one that could not be stored is tried again at the next flush. flush is
// not called concurrently with itself: the loop calls it, and sync waits
// for the loop.
func (r *refusals) flush() {
	r.mu.Lock()
	batch := r.retry
	for _, agg := range r.pending {
		batch = append(batch, agg)
	}
	r.pending, r.keys, r.retry = map[refusalKey]*hubv1.TransactionRecord{}, map[string]int{}, nil
	r.mu.Unlock()
	var failed []*hubv1.TransactionRecord
	for _, agg := range batch {
		if err := r.record(agg); err != nil {
			r.log.Warn("aggregated refusals not recorded yet; retrying at the next flush",
				zap.String("consumer", agg.Consumer), zap.Int64("count", agg.Count), zap.Error(err))
			failed = append(failed, agg)
		}
	}
	r.mu.Lock()
	r.retry = append(r.retry, failed...)
	r.mu.Unlock()
}

// sync records what is pending now and waits until it is stored (for an
// exact read-out), or until ctx ends.
func (r *refusals) sync(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case r.syncc <- ack:
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop records what is pending and stops flushing. It is safe to call
// more than once.
func (r *refusals) stop() {
	r.stopOnce.Do(func() { close(r.stopc) })
	<-r.done
}
