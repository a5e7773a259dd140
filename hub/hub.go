// Package hub is the exchange core of the national data-exchange hub: it
// keeps the registry of agencies, admits each exchange (identity, grants,
// limits, validation), carries it from a consumer to a node of the
// provider over NATS, records every transaction in JetStream and serves
// the counters derived from those records. It speaks no protocol: the
// gRPC API is hub/grpcapi, the HTTP views (dashboard, JSON, metrics,
// health) hub/httpapi, the REST ingress hub/restapi, all over the
// exported methods of Hub.
package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"go.uber.org/zap"

	"github.com/ndxp/ndxp/hub/access"
	"github.com/ndxp/ndxp/hub/audit"
	"github.com/ndxp/ndxp/hub/counter"
	"github.com/ndxp/ndxp/hub/delivery"
	"github.com/ndxp/ndxp/hub/documents"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/hub/registry"
	"github.com/ndxp/ndxp/hub/route"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/connwatch"
	"github.com/ndxp/ndxp/internal/kvmap"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Defaults for Config.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxTimeout  = 60 * time.Second
	DefaultMaxPayload  = 4 << 20 // 4 MiB
	DefaultStreamLimit = 1024    // exchanges in flight per ExchangeStream
)

// minRecordAge is the shortest MaxAge allowed for the record stream: far
// longer than counter checkpoints take, so that no record expires uncounted.
const minRecordAge = time.Hour

// Config configures a Hub. The zero value of each field means its default.
type Config struct {
	// ID names this hub instance in records and logs (default: host name
	// and a random suffix).
	ID string
	// DefaultTimeout bounds an exchange whose caller set no deadline.
	DefaultTimeout time.Duration
	// MaxTimeout caps any caller's deadline.
	MaxTimeout time.Duration
	// MaxPayload is the largest request payload accepted, in bytes.
	MaxPayload int
	// StreamLimit is how many exchanges one ExchangeStream may have in
	// flight; further requests wait.
	StreamLimit int
	// Registry configures the agency registry bucket.
	Registry registry.Config
	// TxLog configures the transaction record stream.
	TxLog txlog.Config
	// Counter configures the counters' checkpoints.
	Counter counter.Config
	// Audit configures the tamper-evident audit stream.
	Audit audit.Config
	// Access configures the grants bucket.
	Access access.Config
	// Delivery configures the asynchronous delivery path.
	Delivery delivery.Config
	// Events configures the publish/subscribe path.
	Events events.Config
	// Documents configures the document exchange axis.
	Documents documents.Config
	// Replicas, when set, is the replica count of every JetStream stream
	// and bucket the hub creates whose own configuration sets none: 3 on a
	// three-server NATS cluster.
	Replicas int
	// Security configures identities, grants and limits (see Security).
	Security Security
	// MessageIDs is how many message ids the hub remembers, for 10
	// minutes (or TxLog.Duplicates if longer), to refuse a second,
	// different request under one id (default DefaultMessageIDs, 524,288:
	// under 50 MB; enough for the 10-minute window at 870 ids a second).
	// Past it the oldest are forgotten: their reuse is recorded, not refused.
	MessageIDs int
	// RecordRetry is how long the hub keeps trying to store the record of
	// an exchange that NATS does not acknowledge (default 2 minutes); the
	// caller is answered UNAVAILABLE (ErrRecordPending) at its deadline.
	RecordRetry time.Duration
}

func (c *Config) setDefaults() {
	for _, r := range []*int{&c.Registry.Replicas, &c.TxLog.Replicas, &c.Counter.Replicas, &c.Audit.Replicas, &c.Access.Replicas, &c.Delivery.Replicas, &c.Events.Replicas, &c.Documents.Replicas} {
		if *r == 0 {
			*r = c.Replicas
		}
	}
	if c.ID == "" {
		host, _ := os.Hostname()
		c.ID = host + "-" + nuid.Next()[:6]
	}
	if c.DefaultTimeout == 0 {
		c.DefaultTimeout = DefaultTimeout
	}
	if c.MaxTimeout == 0 {
		c.MaxTimeout = DefaultMaxTimeout
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.StreamLimit == 0 {
		c.StreamLimit = DefaultStreamLimit
	}
	if c.MessageIDs == 0 {
		c.MessageIDs = DefaultMessageIDs
	}
	if c.RecordRetry == 0 {
		c.RecordRetry = DefaultRecordRetry
	}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.DefaultTimeout < 0 || c.MaxTimeout < 0:
		return errors.New("hub: timeouts must not be negative")
	case c.DefaultTimeout > c.MaxTimeout:
		return fmt.Errorf("hub: default timeout %s exceeds the maximum %s", c.DefaultTimeout, c.MaxTimeout)
	case c.RecordRetry < 0:
		return errors.New("hub: the record retry must not be negative")
	case c.MaxPayload < 0 || c.StreamLimit < 0 || c.MessageIDs < 0:
		return errors.New("hub: limits must not be negative")
	case c.TxLog.MaxAge > 0 && c.TxLog.MaxAge < minRecordAge:
		return fmt.Errorf("hub: the record stream's MaxAge %s is under %s: records could expire before a counter checkpoint includes them", c.TxLog.MaxAge, minRecordAge)
	case c.Security.RateLimit < 0 || c.Security.RateBurst < 0 || c.Security.DailyQuota < 0:
		return errors.New("hub: rate limit, burst and quota must not be negative")
	}
	return nil
}

// Hub is safe for concurrent use. Close releases it.
type Hub struct {
	cfg     Config
	log     *zap.Logger
	nc      *nats.Conn
	link    *connwatch.Watcher
	pending *pending
	reg     *registry.Registry
	access  *access.Store
	router  *route.Router
	txlog   *txlog.Log
	counter *counter.Counter
	audit   *audit.Chain
	deliver *delivery.Service
	events  *eventPath
	docs    *documents.Service
	limits  *limiter
	quota   *sharedQuota
	metrics *metrics
	// msgIDs refuses a message id reused for another request; refused
	// aggregates the refusals by the limits; store refuses exchanges
	// before the record stream is full.
	msgIDs  *messageIDs
	refused *refusals
	store   *recordStore
	nest    *nesting
	rates   *rateHistory
	// declared holds the operator's since-launch offset (declared.go).
	declared *kvmap.Map[*hubv1.DeclaredOffset]
}

// New opens the registry and the record stream on nc (creating them if
// needed) and starts counting. nc stays owned by the caller.
func New(ctx context.Context, nc *nats.Conn, cfg Config, log *zap.Logger) (*Hub, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Stream and bucket set-up may wait on disk syncs of a busy machine.
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("hub: jetstream: %w", err)
	}
	quota, err := openQuota(ctx, js, cfg.Security.DailyQuota, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	reg, err := registry.Open(ctx, js, cfg.Registry, log.Named("registry"))
	if err != nil {
		return nil, err
	}
	acc, err := access.Open(ctx, js, cfg.Access, log.Named("access"))
	if err != nil {
		reg.Close()
		return nil, err
	}
	tl, err := txlog.Open(ctx, js, cfg.TxLog)
	if err != nil {
		acc.Close()
		reg.Close()
		return nil, err
	}
	ids := newMessageIDs(cfg.MessageIDs, max(cfg.TxLog.Duplicates, messageIDWindow))
	chain, err := audit.Follow(ctx, js, cfg.Audit, tl.Stream(), cfg.ID, log.Named("audit"))
	if err != nil {
		acc.Close()
		reg.Close()
		return nil, err
	}
	cnt := counter.New(cfg.Counter, log.Named("counter"))
	cnt.Observe(ids.learn) // a use of an id through another hub
	cnt.Feed(chain.Offer)  // the stream is read once, by the counter
	if err := cnt.Start(ctx, js, tl.Stream()); err != nil {
		chain.Stop()
		acc.Close()
		reg.Close()
		return nil, err
	}
	link := connwatch.Watch(nc, log.Named("nats"))
	h := &Hub{
		cfg: cfg, log: log, nc: nc, link: link, reg: reg, access: acc, router: route.New(nc, link),
		txlog: tl, counter: cnt, audit: chain, limits: newLimiter(rateOnly(cfg.Security)), quota: quota, metrics: newMetrics(),
		msgIDs: ids, store: newRecordStore(log, tl.Stream(), tl.Usage),
		pending: newPending(), nest: newNesting(cfg),
	}
	if err := h.store.start(ctx); err != nil {
		chain.Stop()
		cnt.Stop()
		acc.Close()
		reg.Close()
		return nil, err
	}
	h.refused = newRefusals(h.record, log)
	h.deliver, err = delivery.Open(ctx, js, cfg.Delivery, deliveryCore{h}, log.Named("delivery"))
	if err != nil {
		h.refused.stop()
		h.store.stop()
		link.Stop()
		chain.Stop()
		cnt.Stop()
		acc.Close()
		reg.Close()
		return nil, err
	}
	if h.declared, err = openDeclared(ctx, js, cfg.Replicas, log); err != nil {
		h.deliver.Stop()
		chain.Stop()
		cnt.Stop()
		acc.Close()
		reg.Close()
		return nil, err
	}
	if h.events, err = openEvents(ctx, js, h); err != nil {
		h.deliver.Stop()
		h.declared.Close()
		chain.Stop()
		cnt.Stop()
		acc.Close()
		reg.Close()
		return nil, err
	}
	if h.docs, err = documents.Open(ctx, js, cfg.Documents, documents.Deps{Recorder: deliveryRecorder{h}, HubID: cfg.ID}, log.Named("documents")); err != nil {
		h.events.stop()
		h.deliver.Stop()
		h.declared.Close()
		chain.Stop()
		cnt.Stop()
		acc.Close()
		reg.Close()
		return nil, err
	}
	h.rates = startRates(cnt.Total)
	return h, nil
}

// Config is the hub's configuration, its defaults filled in. The edges
// read their bounds from it (MaxPayload, StreamLimit, Security).
func (h *Hub) Config() Config { return h.cfg }

// ID is this hub's instance name.
func (h *Hub) ID() string { return h.cfg.ID }

// Ready reports whether the hub can serve: its NATS connection is up.
func (h *Hub) Ready() error {
	if !h.nc.IsConnected() {
		return fmt.Errorf("hub: NATS connection is %s", h.nc.Status())
	}
	return nil
}

// Close stops delivering (waiting for the attempts in flight), lets the
// records still being stored finish (up to 10 s; any left are logged as
// not recorded), stops the audit chain, counting and watching the grants and the registry. In-flight
// exchanges should be finished first (stop the gRPC server gracefully).
func (h *Hub) Close() {
	h.events.stop()
	h.rates.close()
	h.deliver.Stop()
	h.refused.stop()
	h.stopRecording()
	h.store.stop()
	h.audit.Stop()
	h.counter.Stop()
	// Each watch ends with a request to NATS, which waits out its timeout
	// while NATS is gone: they end together.
	var wg sync.WaitGroup
	for _, stop := range []func(){h.declared.Close, h.access.Close, h.reg.Close} {
		wg.Go(stop)
	}
	wg.Wait()
	h.link.Stop()
}

// AuditChained is the last transaction stream sequence the audit chain
// covers, as this hub last saw it.
func (h *Hub) AuditChained() uint64 { return h.audit.Chained() }
