// Package access keeps the access rights of the hub: which consumers may
// call which services of a provider. Access is denied by default; a grant
// names a provider, a service (or "*" for all its services) and either one
// consumer agency or a group (every agency of a kind). Grants are stored in
// a JetStream key-value bucket and every hub keeps an in-memory copy
// updated by a watch, so a grant or revocation takes effect on every hub
// without a restart, and checking one costs a few map lookups.
package access

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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
)

// AllServices in a grant's service field grants every service.
const AllServices = "*"

// DefaultBucket is the KV bucket grants are stored in.
const DefaultBucket = "ndxp_access"

// Config configures a Store. Zero values mean defaults.
type Config struct {
	// Bucket is the KV bucket name.
	Bucket string
	// Replicas is the bucket's replica count on a NATS cluster (default 1).
	Replicas int
	// MaxBytes caps the bucket's size (default 64 MiB).
	MaxBytes int64
}

// Store is safe for concurrent use.
type Store struct {
	grants *kvmap.Map[*hubv1.AccessGrant] // by Key; values are never mutated
}

// Open creates the bucket if needed, loads every grant and keeps watching
// for changes made through other hubs until Close.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, log *zap.Logger) (*Store, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	m, err := kvmap.Open(ctx, js, kvmap.Config{Bucket: cfg.Bucket, Description: "ndxp access grants", Replicas: cfg.Replicas, MaxBytes: cfg.MaxBytes},
		func() *hubv1.AccessGrant { return &hubv1.AccessGrant{} }, log)
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	return &Store{grants: m}, nil
}

// Close stops watching.
func (s *Store) Close() { s.grants.Close() }

// Grant validates and stores g, stamped with by and the time, and returns
// it as stored. It is effective on this hub when Grant returns.
func (s *Store) Grant(ctx context.Context, g *hubv1.AccessGrant, by string) (*hubv1.AccessGrant, error) {
	if err := Validate(g); err != nil {
		return nil, err
	}
	g = proto.CloneOf(g)
	g.GrantedAt, g.GrantedBy = timestamppb.New(time.Now()), by
	if err := s.grants.Put(ctx, Key(g), g); err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	return g, nil
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

// Validate checks a grant's fields and returns a *field.Error naming the
// first bad one.
func Validate(g *hubv1.AccessGrant) error {
	if g == nil {
		return field.Errorf("grant", "is required")
	}
	if err := wire.ValidateAgencyCode(g.GetProvider()); err != nil {
		return field.Wrap("grant.provider", err)
	}
	if g.GetService() != AllServices {
		if err := wire.ValidateServiceCode(g.GetService()); err != nil {
			return field.Wrap("grant.service", fmt.Errorf("%w (or %q for all services)", err, AllServices))
		}
	}
	switch to := g.GetTo().(type) {
	case *hubv1.AccessGrant_Consumer:
		return field.Wrap("grant.consumer", wire.ValidateAgencyCode(to.Consumer))
	case *hubv1.AccessGrant_Group:
		if _, ok := hubv1.AgencyKind_name[int32(to.Group)]; !ok || to.Group == hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED {
			return field.Errorf("grant.group", "%d is not an agency kind", to.Group)
		}
		return nil
	}
	return field.Errorf("grant.consumer", "a grant needs a consumer or a group")
}

// Describe is a grant for people: "000.00.01.G01/citizen-lookup -> 000.00.00.H29".
func Describe(g *hubv1.AccessGrant) string {
	to := g.GetConsumer()
	if to == "" {
		to = "group " + strings.ToLower(strings.TrimPrefix(g.GetGroup().String(), "AGENCY_KIND_"))
	}
	return g.GetProvider() + "/" + g.GetService() + " -> " + to
}
