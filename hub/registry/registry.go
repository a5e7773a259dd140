// Package registry is the hub's directory of agencies and the services they
// provide. Registrations are stored in a JetStream key-value bucket, so they
// survive a restart and every hub on the same NATS shares them; each hub
// keeps an in-memory copy, updated by a watch, for lookups on the hot path.
package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/kvmap"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Errors returned by lookups; wrapped with the code asked for.
var (
	ErrUnknownAgency  = errors.New("registry: unknown agency")
	ErrUnknownService = errors.New("registry: unknown service")
)

// DefaultBucket is the KV bucket registrations are stored in.
const DefaultBucket = "ndxp_registry"

// Config configures a Registry. Zero values mean defaults.
type Config struct {
	// Bucket is the KV bucket name.
	Bucket string
	// Replicas is the bucket's replica count on a NATS cluster (default 1).
	Replicas int
	// MaxBytes caps the bucket's size (default 64 MiB).
	MaxBytes int64
}

// Registry is safe for concurrent use.
type Registry struct {
	agencies *kvmap.Map[*hubv1.Agency] // by code; values are never mutated
}

// Open creates the bucket if needed, loads every registration and keeps
// watching for changes made by other hubs until Close.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, log *zap.Logger) (*Registry, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	m, err := kvmap.Open(ctx, js, kvmap.Config{Bucket: cfg.Bucket, Description: "ndxp agency registry", Replicas: cfg.Replicas, MaxBytes: cfg.MaxBytes},
		func() *hubv1.Agency { return &hubv1.Agency{} }, log)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Registry{agencies: m}, nil
}

// Close stops watching.
func (r *Registry) Close() { r.agencies.Close() }

// Register validates and stores a registration, replacing any earlier one
// of the same agency, and returns it as stored. It is visible to Get on
// this hub as soon as Register returns, and to other hubs shortly after.
func (r *Registry) Register(ctx context.Context, a *hubv1.Agency) (*hubv1.Agency, error) {
	if err := wire.ValidateAgency(a); err != nil {
		return nil, err
	}
	a = proto.CloneOf(a)
	a.RegisteredAt = timestamppb.New(time.Now())
	if err := r.agencies.Put(ctx, a.GetCode(), a); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return a, nil
}

// Get returns the agency with code, or an error wrapping ErrUnknownAgency.
// The result must not be modified.
func (r *Registry) Get(code string) (*hubv1.Agency, error) {
	a, ok := r.agencies.Get(code)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownAgency, code)
	}
	return a, nil
}

// Service returns a provider's service, or an error wrapping
// ErrUnknownAgency or ErrUnknownService. The result must not be modified.
func (r *Registry) Service(provider, service string) (*hubv1.Service, error) {
	a, err := r.Get(provider)
	if err != nil {
		return nil, err
	}
	if s := findService(a, service); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w %q of agency %s", ErrUnknownService, service, provider)
}

func findService(a *hubv1.Agency, service string) *hubv1.Service {
	for _, s := range a.GetServices() {
		if s.GetCode() == service {
			return s
		}
	}
	return nil
}

// KnownAgency reports whether code is registered.
func (r *Registry) KnownAgency(code string) bool {
	_, ok := r.agencies.Get(code)
	return ok
}

// KnownService reports whether provider is registered with service.
func (r *Registry) KnownService(provider, service string) bool {
	a, ok := r.agencies.Get(provider)
	return ok && findService(a, service) != nil
}

// List returns the agencies, sorted by code, keeping only those of kind
// unless kind is unspecified. The results must not be modified.
func (r *Registry) List(kind hubv1.AgencyKind) []*hubv1.Agency {
	return r.agencies.Values(func(a *hubv1.Agency) bool {
		return kind == hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED || a.GetKind() == kind
	})
}
