// Package kvmap mirrors a JetStream key-value bucket of protobuf messages
// in memory: every hub opens the same bucket, reads are map lookups, and a
// watch applies the changes other hubs make, so a write through one hub
// takes effect on all of them without a restart.
package kvmap

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// Config configures the bucket. Zero values mean defaults.
type Config struct {
	// Bucket is the KV bucket name (required).
	Bucket string
	// Description says what the bucket holds.
	Description string
	// Replicas is the bucket's replica count on a NATS cluster (default 1).
	Replicas int
	// MaxBytes caps the bucket's size (default 64 MiB).
	MaxBytes int64
}

func (c *Config) setDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 64 << 20
	}
}

// Map is safe for concurrent use. Values handed out must not be modified.
type Map[T proto.Message] struct {
	kv    jetstream.KeyValue
	log   *zap.Logger
	newT  func() T
	name  string
	mu    sync.RWMutex
	items map[string]T

	watcher jetstream.KeyWatcher
	done    chan struct{}
}

// Open creates the bucket if needed, loads every entry (decoded with a
// fresh message from newT) and keeps watching until Close.
func Open[T proto.Message](ctx context.Context, js jetstream.JetStream, cfg Config, newT func() T, log *zap.Logger) (*Map[T], error) {
	cfg.setDefaults()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: cfg.Bucket, Description: cfg.Description, History: 1,
		Replicas: cfg.Replicas, MaxBytes: cfg.MaxBytes, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", cfg.Bucket, err)
	}
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return nil, fmt.Errorf("watch bucket %s: %w", cfg.Bucket, err)
	}
	m := &Map[T]{kv: kv, log: log, newT: newT, name: cfg.Bucket, items: map[string]T{}, watcher: w, done: make(chan struct{})}
	loaded := make(chan struct{})
	go m.watch(loaded)
	select {
	case <-loaded:
		return m, nil
	case <-ctx.Done():
		m.Close()
		return nil, fmt.Errorf("load bucket %s: %w", cfg.Bucket, ctx.Err())
	}
}

// watch applies updates until the watcher stops; it closes loaded once the
// initial values are in.
func (m *Map[T]) watch(loaded chan struct{}) {
	defer close(m.done)
	for e := range m.watcher.Updates() {
		if e == nil {
			close(loaded)
			continue
		}
		m.apply(e)
	}
}

func (m *Map[T]) apply(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		m.mu.Lock()
		delete(m.items, e.Key())
		m.mu.Unlock()
		return
	}
	v := m.newT()
	if err := proto.Unmarshal(e.Value(), v); err != nil {
		m.log.Warn("skipping unreadable entry", zap.String("bucket", m.name), zap.String("key", e.Key()), zap.Error(err))
		return
	}
	m.mu.Lock()
	m.items[e.Key()] = v
	m.mu.Unlock()
}

// Close stops watching.
func (m *Map[T]) Close() {
	_ = m.watcher.Stop()
	<-m.done
}

// Put stores v under key; it is visible to Get on this hub when Put
// returns, and to other hubs shortly after. Put takes ownership of v.
func (m *Map[T]) Put(ctx context.Context, key string, v T) error {
	b, err := proto.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if _, err := m.kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("store %s in %s: %w", key, m.name, err)
	}
	m.mu.Lock()
	m.items[key] = v
	m.mu.Unlock()
	return nil
}

// Delete removes key.
func (m *Map[T]) Delete(ctx context.Context, key string) error {
	if err := m.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("delete %s from %s: %w", key, m.name, err)
	}
	m.mu.Lock()
	delete(m.items, key)
	m.mu.Unlock()
	return nil
}

// Get returns the value under key.
func (m *Map[T]) Get(key string) (T, bool) {
	m.mu.RLock()
	v, ok := m.items[key]
	m.mu.RUnlock()
	return v, ok
}

// Len is the number of entries.
func (m *Map[T]) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.items)
}

// Bytes is the size the bucket takes in JetStream, from the server.
func (m *Map[T]) Bytes(ctx context.Context) (uint64, error) {
	st, err := m.kv.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", m.name, err)
	}
	return st.Bytes(), nil
}

// Keys returns every key, sorted.
func (m *Map[T]) Keys() []string {
	m.mu.RLock()
	out := make([]string, 0, len(m.items))
	for k := range m.items {
		out = append(out, k)
	}
	m.mu.RUnlock()
	slices.Sort(out)
	return out
}

// Values returns the values whose keep returns true, in key order.
func (m *Map[T]) Values(keep func(T) bool) []T {
	m.mu.RLock()
	defer m.mu.RUnlock()
	keys := make([]string, 0, len(m.items))
	for k, v := range m.items {
		if keep(v) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = m.items[k]
	}
	return out
}
