package hub

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/ndxp/ndxp/hub/txlog"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// ErrMessageIDReused: the consumer already used the message id for a
// different request (another provider, service, payload, purpose or user).
var ErrMessageIDReused = errors.New("hub: message_id already used")

// DefaultMessageIDs is the default of Config.MessageIDs.
const DefaultMessageIDs = 1 << 19

// messageIDWindow is how long an id is remembered (at most
// Config.MessageIDs of them).
const messageIDWindow = 10 * time.Minute

// messageIDs remembers which request each message id of a consumer was
// first used for, so that a second, different request under the same id
// is refused instead of being served and then hidden behind the first one
// in the records. It is fed by this hub's admitted requests and by every
// record read from the stream (so a use through another hub is known once
// its record is read). Entries are 64-bit hashes, kept for
// messageIDWindow and at most max at once, oldest first out: under
// 100 bytes each with the map's and the queue's slack (measured: 524,288
// entries, after 1.5 million more evicted, held 48 MB of heap). A forgotten id is only not refused: a reuse is still
// recorded, since the record's de-duplication key includes the request's
// fingerprint (txlog.RecordID). It is safe for concurrent use.
//
// A hand-written queue and map rather than an LRU library: the libraries
// keep a list node and the key string per entry, several times the size.
type messageIDs struct {
	seed   maphash.Seed
	window time.Duration

	mu      sync.Mutex
	max     int
	entries map[uint64]idEntry
	queue   []ringSlot // insertion order, oldest at head
	head    int
	// pairs interns the "provider/service" names the entries point to:
	// only requests that passed admission are remembered, so they are
	// services that were registered, few.
	pairs  []string
	pairIx map[string]uint32
}

type idEntry struct {
	fp   uint64
	pair uint32
}

type ringSlot struct {
	key uint64
	at  int64 // unix nanoseconds
}

func newMessageIDs(max int, window time.Duration) *messageIDs {
	return &messageIDs{
		seed: maphash.MakeSeed(), window: window, max: max,
		entries: make(map[uint64]idEntry), pairIx: map[string]uint32{},
	}
}

// claim records that consumer's message id names the request of rec
// (fingerprint fp), unless it already names another: then it returns
// ErrMessageIDReused naming what the id was first used for.
func (m *messageIDs) claim(rec *hubv1.TransactionRecord, fp uint64, now time.Time) error {
	key := m.key(rec.GetConsumer(), rec.GetMessageId())
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if e, ok := m.entries[key]; ok {
		if e.fp == fp {
			return nil
		}
		return fmt.Errorf("%w: message_id %q of %s was first used for %s, a different request (provider, service, payload, purpose or user_id differ); use a new message_id for a new request",
			ErrMessageIDReused, rec.GetMessageId(), rec.GetConsumer(), m.pairs[e.pair])
	}
	m.add(key, idEntry{fp: fp, pair: m.pair(rec.GetProvider() + "/" + rec.GetService())}, now)
	return nil
}

// learn remembers a record read from the stream, if it is of a request
// that passed admission (one forwarded to the provider). The first use
// known stays.
func (m *messageIDs) learn(rec *hubv1.TransactionRecord) {
	if rec.GetForwardedAt() == nil || rec.GetCount() > 1 {
		return
	}
	_ = m.claim(rec, txlog.RequestFingerprint(rec), time.Now())
}

func (m *messageIDs) key(consumer, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(m.seed)
	_, _ = h.WriteString(consumer)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(id)
	return h.Sum64()
}

// add inserts key, dropping the oldest entry when full; mu must be held.
func (m *messageIDs) add(key uint64, e idEntry, now time.Time) {
	if len(m.queue)-m.head >= m.max {
		m.drop()
	}
	m.queue = append(m.queue, ringSlot{key: key, at: now.UnixNano()})
	m.entries[key] = e
}

// expire drops the entries older than the window; mu must be held.
func (m *messageIDs) expire(now time.Time) {
	limit := now.Add(-m.window).UnixNano()
	for m.head < len(m.queue) && m.queue[m.head].at < limit {
		m.drop()
	}
}

// drop forgets the oldest entry; the queue's consumed head is reclaimed
// once it is half of the queue, so the queue stays within twice max.
func (m *messageIDs) drop() {
	delete(m.entries, m.queue[m.head].key)
	m.head++
	if m.head >= 1024 && 2*m.head >= len(m.queue) {
		m.queue = m.queue[:copy(m.queue, m.queue[m.head:])]
		m.head = 0
	}
}

func (m *messageIDs) pair(name string) uint32 {
	if i, ok := m.pairIx[name]; ok {
		return i
	}
	m.pairs = append(m.pairs, name)
	m.pairIx[name] = uint32(len(m.pairs) - 1)
	return uint32(len(m.pairs) - 1)
}
