// Package registry is the hub's directory of agencies and the services they
// provide. Registrations are stored in a JetStream key-value bucket, so they
// survive a restart and every hub on the same NATS shares them; each hub
// keeps an in-memory copy, updated by a watch, for lookups on the hot path.
package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

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

func (c *Config) setDefaults() {
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 64 << 20
	}
}

// Registry is safe for concurrent use.
type Registry struct {
	kv  jetstream.KeyValue
	log *zap.Logger

	mu       sync.RWMutex
	agencies map[string]*hubv1.Agency // by code; values are never mutated

	watcher jetstream.KeyWatcher
	done    chan struct{}
}

// Open creates the bucket if needed, loads every registration and keeps
// watching for changes made by other hubs until Close.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, log *zap.Logger) (*Registry, error) {
	cfg.setDefaults()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "ndxp agency registry",
		History:     1,
		Replicas:    cfg.Replicas,
		MaxBytes:    cfg.MaxBytes,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: open bucket %s: %w", cfg.Bucket, err)
	}
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return nil, fmt.Errorf("registry: watch bucket %s: %w", cfg.Bucket, err)
	}
	r := &Registry{kv: kv, log: log, agencies: map[string]*hubv1.Agency{}, watcher: w, done: make(chan struct{})}
	loaded := make(chan struct{})
	go r.watch(loaded)
	select {
	case <-loaded:
		return r, nil
	case <-ctx.Done():
		r.Close()
		return nil, fmt.Errorf("registry: load bucket %s: %w", cfg.Bucket, ctx.Err())
	}
}

// watch applies updates until the watcher stops; it closes loaded once the
// initial values are in.
func (r *Registry) watch(loaded chan struct{}) {
	defer close(r.done)
	for e := range r.watcher.Updates() {
		if e == nil {
			close(loaded)
			continue
		}
		r.apply(e)
	}
}

func (r *Registry) apply(e jetstream.KeyValueEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(r.agencies, e.Key())
		return
	}
	a := &hubv1.Agency{}
	if err := proto.Unmarshal(e.Value(), a); err != nil {
		r.log.Warn("skipping unreadable registration", zap.String("key", e.Key()), zap.Error(err))
		return
	}
	r.agencies[a.GetCode()] = a
}

// Close stops watching.
func (r *Registry) Close() {
	_ = r.watcher.Stop()
	<-r.done
}

// Register validates and stores a registration, replacing any earlier one
// of the same agency, and returns it as stored. It is visible to Get on
// this hub as soon as Register returns, and to other hubs shortly after.
func (r *Registry) Register(ctx context.Context, a *hubv1.Agency) (*hubv1.Agency, error) {
	if err := Validate(a); err != nil {
		return nil, err
	}
	a = proto.CloneOf(a)
	a.RegisteredAt = timestamppb.New(time.Now())
	b, err := proto.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("registry: encode %s: %w", a.GetCode(), err)
	}
	if _, err := r.kv.Put(ctx, a.GetCode(), b); err != nil {
		return nil, fmt.Errorf("registry: store %s: %w", a.GetCode(), err)
	}
	r.mu.Lock()
	r.agencies[a.GetCode()] = a
	r.mu.Unlock()
	return a, nil
}

// Get returns the agency with code, or an error wrapping ErrUnknownAgency.
// The result must not be modified.
func (r *Registry) Get(code string) (*hubv1.Agency, error) {
	r.mu.RLock()
	a, ok := r.agencies[code]
	r.mu.RUnlock()
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
	for _, s := range a.GetServices() {
		if s.GetCode() == service {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w %q of agency %s", ErrUnknownService, service, provider)
}

// List returns the agencies, sorted by code, keeping only those of kind
// unless kind is unspecified. The results must not be modified.
func (r *Registry) List(kind hubv1.AgencyKind) []*hubv1.Agency {
	r.mu.RLock()
	out := make([]*hubv1.Agency, 0, len(r.agencies))
	for _, a := range r.agencies {
		if kind == hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED || a.GetKind() == kind {
			out = append(out, a)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b *hubv1.Agency) int { return strings.Compare(a.GetCode(), b.GetCode()) })
	return out
}
