package counter

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultDedupRecords is the default of Config.DedupRecords: about 40 MB
// (77 bytes a record, BenchmarkDedup), 20 seconds of records at 25,000 a
// second, half an hour at 300; the broker's own window (30 s) covers the
// quick retries at any speed.
const DefaultDedupRecords = 1 << 19

// dedupKey is 128 bits of SHA-256 of a record's Nats-Msg-Id (txlog.RecordID):
// the same on every hub, and no agency can craft two ids that collide.
type dedupKey [2]uint64

// dedup remembers the de-duplication keys of the records at the last max
// stream sequences: a record whose key was read at one of the max
// sequences before its own is a second copy of a record already counted (a
// retry stored after the broker's own, shorter, duplicate window), which
// the counter skips. The window is a range of stream sequences, so every
// hub decides alike, and a restarted hub rebuilds it exactly by reading
// back the max records before its checkpoint (Start). Memory is bounded by
// max, unlike the broker's window of ids by time, whose size grows with
// the load. It is used by the follower's goroutine only.
type dedup struct {
	max  uint64
	last map[dedupKey]uint64 // the last sequence each key was read at
	ring []slot              // by sequence modulo max
}

type slot struct {
	key dedupKey
	seq uint64 // 0: empty
}

func newDedup(max int) *dedup {
	return &dedup{max: uint64(max), last: make(map[dedupKey]uint64)}
}

// keyOf is msg's key; ok is false for a record without a message id
// (written before ids, or by hand), which is never a duplicate.
func keyOf(msg jetstream.Msg) (k dedupKey, ok bool) {
	h := msg.Headers()
	if h == nil {
		return k, false
	}
	id := h.Get(jetstream.MsgIDHeader)
	if id == "" {
		return k, false
	}
	s := sha256.Sum256([]byte(id))
	return dedupKey{binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:16])}, true
}

// seen reports whether k was read within the max sequences before seq,
// and remembers it at seq. Sequences must increase.
func (d *dedup) seen(seq uint64, k dedupKey) bool {
	if d.max == 0 {
		return false
	}
	prev, ok := d.last[k]
	dup := ok && seq-prev <= d.max
	if d.ring == nil {
		// Untouched pages of a large allocation are not resident: a
		// quiet hub does not pay for the whole window.
		d.ring = make([]slot, d.max)
	}
	i := seq % d.max
	if old := d.ring[i]; old.seq != 0 && d.last[old.key] == old.seq {
		delete(d.last, old.key)
	}
	d.ring[i] = slot{key: k, seq: seq}
	d.last[k] = seq
	return dup
}
