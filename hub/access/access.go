// Package access keeps the access rights of the hub: which consumers may
// call which services of a provider. Access is denied by default; a grant
// names a provider, a service (or "*" for all its services) and either one
// consumer agency or a group (every agency of a kind). Grants are stored in
// a JetStream key-value bucket and every hub keeps an in-memory copy
// updated by a watch, so a grant or revocation takes effect on every hub
// without a restart, and checking one costs a few map lookups.
//
// No agency can fill the store for everyone: a provider's grants are
// capped (Config.MaxGrantsPerProvider), and once the bucket holds
// ProviderShare of its size only the operator may add grants, so the
// operator can always grant and revoke. The operator is subject to
// neither limit.
package access

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/kvmap"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Errors of access checks and grant management.
var (
	// ErrDenied: the consumer holds no grant for the service.
	ErrDenied = errors.New("access: no grant")
	// ErrUnknownGrant: a revocation names a grant that does not exist.
	ErrUnknownGrant = errors.New("access: no such grant")
	// ErrTooManyGrants: the provider holds Config.MaxGrantsPerProvider
	// grants already.
	ErrTooManyGrants = errors.New("access: too many grants")
	// ErrStoreFull: the grant store has no room for this grant (for a
	// provider: it is past ProviderShare of its size).
	ErrStoreFull = errors.New("access: the grant store is full")
)

// AllServices in a grant's service field grants every service.
const AllServices = "*"

// Defaults for Config.
const (
	DefaultBucket   = "ndxp_access"
	DefaultMaxBytes = 64 << 20 // 64 MiB: some 200,000 grants
	// DefaultMaxGrantsPerProvider is enough for a national database
	// granting each of the 63 provinces' LGSPs and the ministries a few
	// services one by one; groups cover the rest.
	DefaultMaxGrantsPerProvider = 2000
)

// Shares of Config.MaxBytes.
const (
	// WarnShare: above it each hub logs a warning once (and again after
	// usage fell below it).
	WarnShare = 0.8
	// ProviderShare: above it only the operator may add grants; the rest
	// of the store is the operator's reserve.
	ProviderShare = 0.9
)

// Config configures a Store. Zero values mean defaults.
type Config struct {
	// Bucket is the KV bucket name.
	Bucket string
	// Replicas is the bucket's replica count on a NATS cluster (default 1).
	Replicas int
	// MaxBytes caps the bucket's size (default DefaultMaxBytes).
	MaxBytes int64
	// MaxGrantsPerProvider caps the grants of one provider anyone but the
	// operator may add (default DefaultMaxGrantsPerProvider). It is checked
	// on the hub that takes the grant: providers granting through several
	// hubs at once may pass it by a few.
	MaxGrantsPerProvider int
}

func (c *Config) setDefaults() {
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxGrantsPerProvider == 0 {
		c.MaxGrantsPerProvider = DefaultMaxGrantsPerProvider
	}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	if c.MaxBytes < 0 || c.MaxGrantsPerProvider < 0 {
		return errors.New("access: MaxBytes and MaxGrantsPerProvider must not be negative")
	}
	return nil
}

// By is who adds a grant.
type By struct {
	// Name is stored as the grant's granted_by.
	Name string
	// Operator exempts the grant from the provider's cap and lets it use
	// the store's reserve. Only the operator's authenticated calls and the
	// platform's own start-up grants set it.
	Operator bool
}

// Store is safe for concurrent use.
type Store struct {
	cfg    Config
	log    *zap.Logger
	grants *kvmap.Map[*hubv1.AccessGrant] // by Key; values are never mutated
	mu     sync.Mutex                     // serializes limit checks with their writes
	warned atomic.Bool                    // usage is above WarnShare and was logged
	used   atomic.Uint64                  // the bucket's bytes, last seen
}

// Open creates the bucket if needed, loads every grant and keeps watching
// for changes made through other hubs until Close.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, log *zap.Logger) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := kvmap.Open(ctx, js, kvmap.Config{Bucket: cfg.Bucket, Description: "ndxp access grants", Replicas: cfg.Replicas, MaxBytes: cfg.MaxBytes},
		func() *hubv1.AccessGrant { return &hubv1.AccessGrant{} }, log)
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	s := &Store{cfg: cfg, log: log, grants: m}
	if _, err := s.usage(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return s, nil
}

// Close stops watching.
func (s *Store) Close() { s.grants.Close() }

// Grant validates and stores g, stamped with by and the time, and returns
// it as stored. It is effective on this hub when Grant returns. A new
// grant (not one held already) by anyone but the operator fails with
// ErrTooManyGrants at the provider's cap and with ErrStoreFull past
// ProviderShare of the store; anyone's fails with ErrStoreFull when the
// bucket itself is full.
func (s *Store) Grant(ctx context.Context, g *hubv1.AccessGrant, by By) (*hubv1.AccessGrant, error) {
	if err := Validate(g); err != nil {
		return nil, err
	}
	g = proto.CloneOf(g)
	g.GrantedAt, g.GrantedBy = timestamppb.New(time.Now()), by.Name
	k := Key(g)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, held := s.grants.Get(k); !held {
		if err := s.mayAdd(ctx, g.GetProvider(), by); err != nil {
			return nil, err
		}
	}
	if err := s.grants.Put(ctx, k, g); err != nil {
		if isFull(err) {
			return nil, fmt.Errorf("%w: it holds its maximum of %d bytes; revoke grants no longer needed, or restart the hubs with a larger bucket (--grants-max-bytes)", ErrStoreFull, s.cfg.MaxBytes)
		}
		return nil, fmt.Errorf("access: %w", err)
	}
	return g, nil
}

// mayAdd refuses a new grant of provider that by may not add. s.mu must
// be held.
func (s *Store) mayAdd(ctx context.Context, provider string, by By) error {
	if !by.Operator {
		if n := s.count(provider); n >= s.cfg.MaxGrantsPerProvider {
			return fmt.Errorf("%w: %s holds %d grants, the most a provider may hold (%d); revoke grants it no longer needs (ndxp grants revoke), grant a group instead of its agencies one by one, or ask the operator",
				ErrTooManyGrants, provider, n, s.cfg.MaxGrantsPerProvider)
		}
	}
	used, err := s.usage(ctx)
	if err != nil {
		return err
	}
	if limit := uint64(ProviderShare * float64(s.cfg.MaxBytes)); !by.Operator && used >= limit {
		return fmt.Errorf("%w: it holds %d of %d bytes, and the last %.0f%% are kept for the operator, who can still grant and revoke; ask the operator to revoke unused grants or enlarge the store",
			ErrStoreFull, used, s.cfg.MaxBytes, 100*(1-ProviderShare))
	}
	return nil
}

// count is the number of grants of provider.
func (s *Store) count(provider string) int {
	return len(s.grants.Values(func(g *hubv1.AccessGrant) bool { return g.GetProvider() == provider }))
}

// usage reads the bucket's size from the server, remembers it for the
// metrics and warns when it crosses WarnShare.
func (s *Store) usage(ctx context.Context) (uint64, error) {
	used, err := s.grants.Bytes(ctx)
	if err != nil {
		return 0, fmt.Errorf("access: %w", err)
	}
	s.used.Store(used)
	high := float64(used) >= WarnShare*float64(s.cfg.MaxBytes)
	if high && !s.warned.Swap(true) {
		s.log.Warn("the grant store is filling up: at 90% only the operator may add grants; revoke grants no longer needed or enlarge the store (--grants-max-bytes)",
			zap.Uint64("bytes", used), zap.Int64("max_bytes", s.cfg.MaxBytes), zap.Int("grants", s.grants.Len()))
	}
	if !high {
		s.warned.Store(false)
	}
	return used, nil
}

// isFull reports whether a write failed because the bucket is at its
// MaxBytes (JetStream's "maximum bytes exceeded", a store failure).
func isFull(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jsStoreFailed && strings.Contains(apiErr.Description, "maximum bytes")
}

// jsStoreFailed is nats-server's JSStreamStoreFailedF error code.
const jsStoreFailed jetstream.ErrorCode = 10077

// Collectors are the store's Prometheus gauges: the number of grants and
// the bucket's size and limit. The size is read from the server at each
// scrape (the last value seen if that fails).
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ndxp_access_grants", Help: "Access grants in the grant store."},
			func() float64 { return float64(s.grants.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ndxp_access_store_bytes", Help: "Bytes the grant store takes in JetStream."},
			func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_, _ = s.usage(ctx)
				return float64(s.used.Load())
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ndxp_access_store_max_bytes", Help: "Size limit of the grant store; past 90% only the operator may add grants."},
			func() float64 { return float64(s.cfg.MaxBytes) }),
	}
}

// Revoke removes the grant g names, or returns ErrUnknownGrant.
func (s *Store) Revoke(ctx context.Context, g *hubv1.AccessGrant) error {
	if err := Validate(g); err != nil {
		return err
	}
	k := Key(g)
	if _, ok := s.grants.Get(k); !ok {
		return fmt.Errorf("%w: %s", ErrUnknownGrant, Describe(g))
	}
	if err := s.grants.Delete(ctx, k); err != nil {
		return fmt.Errorf("access: %w", err)
	}
	return nil
}

// List returns the grants, of provider only unless it is empty, sorted by
// key. The results must not be modified.
func (s *Store) List(provider string) []*hubv1.AccessGrant {
	return s.grants.Values(func(g *hubv1.AccessGrant) bool { return provider == "" || g.GetProvider() == provider })
}

// Check returns nil if consumer, an agency of kind (unspecified if its
// certificate states none), may call service of provider: it is the
// provider itself, or holds a grant, else an error wrapping
// ErrDenied that says how to get access.
func (s *Store) Check(consumer string, kind hubv1.AgencyKind, provider, service string) error {
	if consumer == provider {
		return nil // an agency may call its own services (an LGSP's front end, its procedures)
	}
	pt := wire.Token(provider)
	for _, svc := range [...]string{service, allKey} {
		if _, ok := s.grants.Get(pt + "." + svc + ".a." + wire.Token(consumer)); ok {
			return nil
		}
		if kind != hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED {
			if _, ok := s.grants.Get(pt + "." + svc + ".k." + strconv.Itoa(int(kind))); ok {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s has not granted %s/%s to %s; the provider or the operator can grant it (ndxp grants add)",
		ErrDenied, provider, provider, service, consumer)
}

const allKey = "_all"

// Key is the bucket key of a valid grant:
// <provider token>.<service or _all>.a.<consumer token> for one agency,
// <provider token>.<service or _all>.k.<kind number> for a group.
func Key(g *hubv1.AccessGrant) string {
	svc := g.GetService()
	if svc == AllServices {
		svc = allKey
	}
	k := wire.Token(g.GetProvider()) + "." + svc
	if c, ok := g.GetTo().(*hubv1.AccessGrant_Consumer); ok {
		return k + ".a." + wire.Token(c.Consumer)
	}
	return k + ".k." + strconv.Itoa(int(g.GetGroup()))
}

// Validate checks a grant against the rules annotated in access.proto
// (buf.validate) and returns field.Errors naming every bad field
// ("grant.provider").
func Validate(g *hubv1.AccessGrant) error {
	if g == nil {
		return field.Errorf("grant", "is required")
	}
	return field.Wrap("grant", field.Check(g))
}

// Describe is a grant for people: "000.00.01.G01/citizen-lookup -> 000.00.00.H29".
func Describe(g *hubv1.AccessGrant) string {
	to := g.GetConsumer()
	if to == "" {
		to = "group " + strings.ToLower(strings.TrimPrefix(g.GetGroup().String(), "AGENCY_KIND_"))
	}
	return g.GetProvider() + "/" + g.GetService() + " -> " + to
}
