package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ndxp/ndxp/hub/txlog"
)

// ErrBroken: the chain, or the records it covers, do not hold somewhere.
var ErrBroken = errors.New("audit: chain broken")

// BreakError names the first place where the chain does not hold.
type BreakError struct {
	// Block is the broken block's position in the chain as it claims it
	// (0 when no block is involved), StoredAt its sequence in the audit
	// stream.
	Block, StoredAt uint64
	// TxSeq and MessageID name the transaction concerned, if one is.
	TxSeq     uint64
	MessageID string
	// Reason says what does not hold.
	Reason string
}

// Error implements error.
func (e *BreakError) Error() string {
	where := fmt.Sprintf("block %d (stored at %d)", e.Block, e.StoredAt)
	if e.Block == 0 && e.StoredAt == 0 {
		where = "the records"
	}
	if e.TxSeq != 0 {
		where += fmt.Sprintf(", transaction %d", e.TxSeq)
	}
	if e.MessageID != "" {
		where += fmt.Sprintf(" (message id %q)", e.MessageID)
	}
	return fmt.Sprintf("audit: chain broken at %s: %s", where, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBroken) true.
func (e *BreakError) Unwrap() error { return ErrBroken }

// Verifier checks blocks one after the other. The first block added
// anchors the chain (earlier ones may have been removed by retention).
// Trust nil checks hashes and links only.
type Verifier struct {
	Trust *Trust

	prev    *Block
	first   *Block
	blocks  int
	entries int
	signed  int
	absent  []Range
	absentB *BreakError
}

// Add checks b, found at stream sequence storedAt (its line in a file),
// against its hash, its signature, its predecessor and the range it
// covers; it returns a *BreakError at the first break. Absent records are
// collected and reported by Finish, so that a forged or edited block after
// them is still named first.
func (v *Verifier) Add(storedAt uint64, b *Block) error {
	return v.add(storedAt, b, v.Trust.check(b))
}

// add is Add with b's seal already checked (sealErr: v.Trust.check(b)).
func (v *Verifier) add(storedAt uint64, b *Block, sealErr error) error {
	brk := func(format string, args ...any) error {
		return &BreakError{Block: b.Seq, StoredAt: storedAt, Reason: fmt.Sprintf(format, args...)}
	}
	if sealErr != nil {
		return brk("%v", sealErr)
	}
	if err := b.covers(); err != nil {
		return brk("%v", err)
	}
	if p := v.prev; p != nil {
		switch {
		case b.Prev != p.Hash:
			return brk("it does not link to block %d before it (a block was altered, removed or inserted)", p.Seq)
		case b.Seq != p.Seq+1:
			return brk("it claims position %d after block %d (blocks were removed or reordered)", b.Seq, p.Seq)
		case b.TxFirst != p.TxLast+1:
			return brk("it starts at transaction %d but block %d ended at %d", b.TxFirst, p.Seq, p.TxLast)
		}
	}
	if len(b.Absent) > 0 && v.absentB == nil {
		r := b.Absent[0]
		v.absentB = &BreakError{Block: b.Seq, StoredAt: storedAt, TxSeq: r.First,
			Reason: fmt.Sprintf("transaction records %d-%d were gone from the record stream before they were chained (evidence lost: the stream was full, expired them, or they were deleted)", r.First, r.Last)}
	}
	v.absent = append(v.absent, b.Absent...)
	if len(b.Signature) > 0 {
		v.signed++
	}
	light := *b
	light.Entries = nil
	if v.first == nil {
		v.first = &light
	}
	v.prev = &light
	v.blocks++
	v.entries += len(b.Entries)
	return nil
}

// Finish reports records the chain says were absent, once every block
// was added.
func (v *Verifier) Finish() error {
	if v.absentB != nil {
		return v.absentB
	}
	return nil
}

// Report is what a verification found.
type Report struct {
	// Blocks and Entries passed; Signed of the blocks carry a signature
	// (checked when a Trust was given).
	Blocks, Entries, Signed int
	// FirstBlock and LastBlock are the positions of the first and last
	// block kept; TxFirst and TxLast the transactions they cover.
	FirstBlock, LastBlock uint64
	TxFirst, TxLast       uint64
	// Removed is how many blocks retention removed before the first kept;
	// Retention is the stream's policy that removed them.
	Removed   uint64
	Retention time.Duration
	// Absent are the transaction ranges written down as absent.
	Absent []Range
	// With records compared: Compared records matched their entries;
	// Expired were removed from the record stream by its retention;
	// Pending were stored after the chain's last block (not chained yet).
	Compared, Expired int
	Pending           uint64
}

// Report fills r's chain figures with what passed so far.
func (v *Verifier) Report(r *Report) {
	r.Blocks, r.Entries, r.Signed, r.Absent = v.blocks, v.entries, v.signed, v.absent
	if v.first != nil {
		r.FirstBlock, r.TxFirst = v.first.Seq, v.first.TxFirst
		r.LastBlock, r.TxLast = v.prev.Seq, v.prev.TxLast
	}
}

// Options configure Verify.
type Options struct {
	// Trust checks signatures; nil checks hashes and links only.
	Trust *Trust
	// TxStream, when set, compares every record still in that stream with
	// its entry, field by field, and checks that every record kept is
	// covered by the chain.
	TxStream string
	// MaxLag is how long a stored record may wait to be chained before it
	// counts as left out (default 1 minute).
	MaxLag time.Duration
}

// DefaultMaxLag is Options.MaxLag's default.
const DefaultMaxLag = time.Minute

// Verify checks the whole chain stored in stream and, with
// Options.TxStream, the records it covers. The error is a *BreakError
// naming the first break; the report says how far the chain held.
func Verify(ctx context.Context, js jetstream.JetStream, stream string, opt Options) (Report, error) {
	var r Report
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return r, fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return r, fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	v := &Verifier{Trust: opt.Trust}
	var recs *recordCheck
	if opt.TxStream != "" {
		if recs, err = openRecordCheck(ctx, js, opt.TxStream); err != nil {
			return r, err
		}
		defer recs.close()
	}
	err = verifyStream(ctx, s, info, v, recs, &r)
	v.Report(&r)
	if err == nil {
		err = v.Finish()
	}
	if err == nil && recs != nil {
		err = recs.finish(ctx, &r, opt.MaxLag)
	}
	return r, err
}

// verifyStream reads every block of the stream in order; a sequence
// missing between the first and the last is a deleted block.
func verifyStream(ctx context.Context, s jetstream.Stream, info *jetstream.StreamInfo, v *Verifier, recs *recordCheck, r *Report) error {
	st := info.State
	if st.FirstSeq > 1 {
		if info.Config.MaxAge == 0 {
			return &BreakError{StoredAt: 1, Reason: fmt.Sprintf("blocks stored at 1-%d were removed although the stream has no retention (no max age): they were purged or deleted", st.FirstSeq-1)}
		}
		r.Removed, r.Retention = st.FirstSeq-1, info.Config.MaxAge
	}
	if st.Msgs == 0 {
		if recs != nil {
			recs.first = 1
		}
		return nil
	}
	// Two stages on two cores: one goroutine reads the blocks, decodes
	// them and checks their seals (JSON, SHA-256, ECDSA); this one links
	// them and compares the records.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	checked := make(chan checkedBlock, 4)
	readErr := make(chan error, 1)
	go func() {
		defer close(checked)
		readErr <- eachStored(ctx, s, st.FirstSeq, st.LastSeq, pullBlocks, func(seq uint64, data []byte) error {
			c := checkedBlock{seq: seq}
			if c.decodeErr = json.Unmarshal(data, &c.b); c.decodeErr == nil {
				c.sealErr = v.Trust.check(&c.b)
			}
			select {
			case checked <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	next := st.FirstSeq
	for c := range checked {
		if err := linkBlock(ctx, v, recs, c, next); err != nil {
			return err
		}
		next = c.seq + 1
	}
	return <-readErr
}

// checkedBlock is a block as read and decoded, with its seal checked.
type checkedBlock struct {
	seq                uint64
	b                  Block
	decodeErr, sealErr error
}

// linkBlock adds c, which should be stored at next, to v and compares its
// records.
func linkBlock(ctx context.Context, v *Verifier, recs *recordCheck, c checkedBlock, next uint64) error {
	if c.seq != next {
		return &BreakError{StoredAt: next, Reason: fmt.Sprintf("the blocks stored at %d-%d were deleted", next, c.seq-1)}
	}
	if c.decodeErr != nil {
		return &BreakError{StoredAt: c.seq, Reason: "it is not a readable block: " + c.decodeErr.Error()}
	}
	if err := v.add(c.seq, &c.b, c.sealErr); err != nil {
		return err
	}
	if recs != nil {
		return recs.block(ctx, c.seq, &c.b)
	}
	return nil
}

// How much each reader asks the server for at once: blocks are large
// (about 300 KB of 500 entries), records small (about 400 bytes). Deep
// pulls keep the reads from waiting on a round trip per few messages.
var (
	pullBlocks  = jetstream.PullMaxBytes(8 << 20)
	pullRecords = jetstream.PullMaxMessages(txlog.ReadAhead)
)

// eachStored calls fn with every message stored in s from first to last,
// in order; deleted sequences are not passed. It reads with an ordered
// consumer and never takes a pause of the server for the end.
func eachStored(ctx context.Context, s jetstream.Stream, first, last uint64, pull jetstream.PullMessagesOpt, fn func(seq uint64, data []byte) error) error {
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: first,
	})
	if err != nil {
		return fmt.Errorf("audit: read %s: %w", s.CachedInfo().Config.Name, err)
	}
	it, err := cons.Messages(pull)
	if err != nil {
		return fmt.Errorf("audit: read %s: %w", s.CachedInfo().Config.Name, err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return fmt.Errorf("audit: read %s: %w", s.CachedInfo().Config.Name, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return err
		}
		seq := meta.Sequence.Stream
		if seq > last {
			return nil
		}
		if err := fn(seq, m.Data()); err != nil {
			return err
		}
		if seq == last {
			return nil
		}
	}
}

// recordCheck compares the transaction records with the chain's entries,
// reading the record stream in order beside the blocks.
type recordCheck struct {
	tx    jetstream.Stream
	info  *jetstream.StreamInfo
	it    jetstream.MessagesContext
	first uint64 // the first transaction the chain covers
	// head is the next record read and not yet compared.
	head     jetstream.Msg
	headSeq  uint64
	compared int
	expired  int
}

func openRecordCheck(ctx context.Context, js jetstream.JetStream, stream string) (*recordCheck, error) {
	tx, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	info, err := tx.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	return &recordCheck{tx: tx, info: info}, nil
}

func (c *recordCheck) close() {
	if c.it != nil {
		c.it.Stop()
	}
}

// read returns the first record stored at or after seq, nil when the
// stream held none there when the check began.
func (c *recordCheck) read(ctx context.Context, seq uint64) (jetstream.Msg, uint64, error) {
	last := c.info.State.LastSeq
	if c.info.State.Msgs == 0 || seq > last {
		return nil, 0, nil
	}
	if c.it == nil {
		cons, err := c.tx.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: seq,
		})
		if err == nil {
			c.it, err = cons.Messages(pullRecords)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("audit: read the records: %w", err)
		}
	}
	for c.head == nil || c.headSeq < seq {
		if c.headSeq >= last {
			return nil, 0, nil
		}
		m, err := c.it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return nil, 0, fmt.Errorf("audit: read the records: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return nil, 0, err
		}
		c.head, c.headSeq = m, meta.Sequence.Stream
	}
	return c.head, c.headSeq, nil
}

// block compares the records of b's entries.
func (c *recordCheck) block(ctx context.Context, storedAt uint64, b *Block) error {
	if c.first == 0 {
		c.first = b.TxFirst
	}
	for _, e := range b.Entries {
		brk := func(format string, args ...any) error {
			return &BreakError{Block: b.Seq, StoredAt: storedAt, TxSeq: e.TxSeq, MessageID: e.MessageID, Reason: fmt.Sprintf(format, args...)}
		}
		m, seq, err := c.read(ctx, e.TxSeq)
		if err != nil {
			return err
		}
		if m == nil || seq > e.TxSeq {
			if e.TxSeq < c.info.State.FirstSeq && c.info.Config.MaxAge > 0 {
				c.expired++
				continue
			}
			return brk("its transaction record is missing from %s (deleted, or dropped by the server as corrupt; retention removes only the oldest records, by age)", c.info.Config.Name)
		}
		rec, derr := txlog.Decode(m.Data())
		if derr != nil {
			rec = nil
		}
		if field := differs(e, NewEntry(seq, m.Data(), rec)); field != "" {
			return brk("the transaction record and its entry differ in %s (one of them was edited)", field)
		}
		c.compared++
	}
	return nil
}

// finish checks that every record kept is covered by the chain: none
// before its first block, and none stored longer than maxLag ago after
// its last.
func (c *recordCheck) finish(ctx context.Context, r *Report, maxLag time.Duration) error {
	r.Compared, r.Expired = c.compared, c.expired
	st := c.info.State
	if st.Msgs == 0 {
		return nil
	}
	if c.first == 0 {
		c.first = 1
	}
	if st.FirstSeq < c.first {
		return &BreakError{TxSeq: st.FirstSeq, Reason: fmt.Sprintf("transaction records %d-%d are older than the chain's first block kept: blocks were removed (or the audit's retention is shorter than the records')", st.FirstSeq, c.first-1)}
	}
	if st.LastSeq <= r.TxLast {
		return nil
	}
	from := max(r.TxLast+1, st.FirstSeq)
	r.Pending = st.LastSeq - from + 1
	if maxLag == 0 {
		maxLag = DefaultMaxLag
	}
	m, err := c.tx.GetMsg(ctx, from)
	if err != nil {
		return nil // removed meanwhile: nothing to judge
	}
	if age := time.Since(m.Time); age > maxLag {
		return &BreakError{TxSeq: from, Reason: fmt.Sprintf("transaction records %d-%d are not chained although the first was stored %s ago: no hub is writing the chain (see the ndxp_audit_writer metric) or it cannot", from, st.LastSeq, age.Round(time.Second))}
	}
	return nil
}

// differs names the first field (by its JSON name) in which a and b
// differ, "" if none.
func differs(a, b Entry) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := range t.NumField() {
		if !va.Field(i).Equal(vb.Field(i)) {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			return name
		}
	}
	return ""
}

// Each calls fn with every block of the audit stream stored up to now, in
// order, with its stream sequence, until fn returns an error. A message
// that is not a block is passed as the zero Block with decodeErr set.
func Each(ctx context.Context, js jetstream.JetStream, stream string, fn func(seq uint64, b *Block, raw []byte, decodeErr error) error) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("audit: stream info: %w", err)
	}
	if info.State.Msgs == 0 {
		return nil
	}
	return eachStored(ctx, s, info.State.FirstSeq, info.State.LastSeq, pullBlocks, func(seq uint64, data []byte) error {
		var b Block
		derr := json.Unmarshal(data, &b)
		return fn(seq, &b, data, derr)
	})
}
