package counter

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// checkpointVersion is the format written; restore refuses others.
const checkpointVersion = 1

// checkpointTimeout bounds one save or restore.
const checkpointTimeout = 30 * time.Second

// stopCheckpointTimeout bounds the last save at Stop, so that a hub whose
// NATS is gone still shuts down promptly.
const stopCheckpointTimeout = 5 * time.Second

// metaSequence is the object metadata key holding the checkpoint's
// sequence, read before writing so that a hub never replaces a newer
// checkpoint written by another hub with an older one.
const metaSequence = "sequence"

// checkpoint is the persisted form of the aggregates: everything counted
// from the stream's first record up to and including Sequence.
type checkpoint struct {
	// Version is checkpointVersion.
	Version int `json:"version"`
	// Stream is the record stream's name.
	Stream string `json:"stream"`
	// StreamCreated identifies the stream's incarnation: a checkpoint of a
	// deleted and re-created stream is not restored.
	StreamCreated time.Time `json:"stream_created"`
	// Sequence is the last stream sequence included.
	Sequence uint64 `json:"sequence"`
	// Lost is the records discarded by the stream before being counted.
	Lost uint64 `json:"lost"`
	// Days are the counters by business day "YYYY-MM-DD".
	Days map[string]checkpointDay `json:"days"`
}

// checkpointDay is one day's counters.
type checkpointDay struct {
	// Rows are the finest counters.
	Rows []checkpointRow `json:"rows"`
	// Latency is the HDR histogram of durations (µs), in its compressed
	// base64 V2 encoding.
	Latency string `json:"latency"`
	// Hours are the hourly counters (absent from checkpoints written
	// before they existed: those days restore without hours).
	Hours []checkpointHour `json:"hours,omitempty"`
}

// checkpointHour is one hour's count of one HourKey.
type checkpointHour struct {
	Hour     int    `json:"hour"`
	Provider string `json:"provider"`
	Service  string `json:"service"`
	Code     int32  `json:"code"`
	Count    int64  `json:"count"`
}

// checkpointRow is one Key's count.
type checkpointRow struct {
	Consumer string `json:"consumer"`
	Provider string `json:"provider"`
	Service  string `json:"service"`
	Code     int32  `json:"code"`
	Count    int64  `json:"count"`
}

func (c *Counter) objectName() string { return c.stream.CachedInfo().Config.Name + ".json.gz" }

// take copies the aggregates into a checkpoint, consistently with the
// applied sequence. The lock is held only to copy: latency histograms of
// days that changed since the last checkpoint are encoded outside it, the
// others reuse their cached encoding.
func (c *Counter) take() (*checkpoint, error) {
	type pending struct {
		name    string
		version uint64
		hist    *hdrhistogram.Histogram
	}
	var todo []pending
	info := c.stream.CachedInfo()
	c.mu.RLock()
	cp := &checkpoint{
		Version: checkpointVersion, Stream: info.Config.Name, StreamCreated: info.Created,
		Sequence: c.applied.Load(), Lost: c.lost, Days: make(map[string]checkpointDay, len(c.days)),
	}
	for name, d := range c.days {
		cd := checkpointDay{Rows: make([]checkpointRow, 0, len(d.rows)), Latency: d.enc}
		for k, n := range d.rows {
			cd.Rows = append(cd.Rows, checkpointRow{k.Consumer, k.Provider, k.Service, k.Code, n})
		}
		for h, m := range d.hours {
			for k, n := range m {
				cd.Hours = append(cd.Hours, checkpointHour{h, k.Provider, k.Service, k.Code, n})
			}
		}
		if d.enc == "" || d.encVersion != d.version {
			todo = append(todo, pending{name, d.version, d.latency.Clone()})
		}
		cp.Days[name] = cd
	}
	c.mu.RUnlock()
	for _, p := range todo {
		enc, err := p.hist.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return nil, fmt.Errorf("counter: encode latency of %s: %w", p.name, err)
		}
		cd := cp.Days[p.name]
		cd.Latency = string(enc)
		cp.Days[p.name] = cd
	}
	c.mu.Lock()
	for _, p := range todo {
		if d := c.days[p.name]; d != nil && d.version == p.version {
			d.enc, d.encVersion = cp.Days[p.name].Latency, p.version
		}
	}
	c.mu.Unlock()
	return cp, nil
}

// Checkpoint saves the aggregates now, unless the stored checkpoint is
// already as new. It is called periodically and at Stop.
func (c *Counter) Checkpoint(ctx context.Context) error {
	if c.store == nil {
		return ErrNotStarted
	}
	if c.Applied() <= c.Saved() {
		return nil
	}
	if stored, err := c.storedSequence(ctx); err != nil {
		return err
	} else if stored >= c.Applied() {
		c.saved.Store(stored)
		return nil
	}
	cp, err := c.take()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(cp); err != nil {
		return fmt.Errorf("counter: encode checkpoint: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("counter: compress checkpoint: %w", err)
	}
	_, err = c.store.Put(ctx, jetstream.ObjectMeta{
		Name:     c.objectName(),
		Metadata: map[string]string{metaSequence: strconv.FormatUint(cp.Sequence, 10)},
	}, &buf)
	if err != nil {
		return fmt.Errorf("counter: save checkpoint at %d: %w", cp.Sequence, err)
	}
	c.saved.Store(cp.Sequence)
	return nil
}

// storedSequence is the sequence of the stored checkpoint, 0 if none.
func (c *Counter) storedSequence(ctx context.Context) (uint64, error) {
	info, err := c.store.GetInfo(ctx, c.objectName())
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("counter: checkpoint info: %w", err)
	}
	seq, _ := strconv.ParseUint(info.Metadata[metaSequence], 10, 64)
	return seq, nil
}

// restore loads the stored checkpoint, if there is one for this stream.
func (c *Counter) restore(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, checkpointTimeout)
	defer cancel()
	obj, err := c.openCheckpoint(ctx)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("counter: read checkpoint: %w", err)
	}
	defer obj.Close()
	cp, err := decodeCheckpoint(obj)
	if err != nil {
		return err
	}
	info := c.stream.CachedInfo()
	switch {
	case !cp.StreamCreated.Equal(info.Created):
		c.log.Warn("ignoring the checkpoint of an earlier incarnation of the stream",
			zap.Time("checkpoint_stream_created", cp.StreamCreated), zap.Time("stream_created", info.Created))
		return nil
	case cp.Sequence > info.State.LastSeq:
		c.log.Warn("ignoring a checkpoint newer than the stream", zap.Uint64("checkpoint", cp.Sequence), zap.Uint64("last_seq", info.State.LastSeq))
		return nil
	}
	return c.load(cp)
}

// openCheckpoint opens the stored checkpoint. The bucket's stream answers
// reads (direct gets) only once its replicas run, which on a cluster may be
// a moment after the bucket was created: until then a read finds no
// responders, and it is tried again until ctx ends.
func (c *Counter) openCheckpoint(ctx context.Context) (jetstream.ObjectResult, error) {
	for {
		obj, err := c.store.Get(ctx, c.objectName())
		if !errors.Is(err, nats.ErrNoResponders) {
			return obj, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(noRespondersWait):
		}
	}
}

// noRespondersWait is the pause before reading again a stream that had no
// responders.
const noRespondersWait = 100 * time.Millisecond

func decodeCheckpoint(r io.Reader) (*checkpoint, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("counter: decompress checkpoint: %w", err)
	}
	cp := &checkpoint{}
	if err := json.NewDecoder(zr).Decode(cp); err != nil {
		return nil, fmt.Errorf("counter: decode checkpoint: %w", err)
	}
	if cp.Version != checkpointVersion {
		return nil, fmt.Errorf("counter: checkpoint version %d, want %d", cp.Version, checkpointVersion)
	}
	return cp, nil
}

// load replaces the aggregates with cp's.
func (c *Counter) load(cp *checkpoint) error {
	days := make(map[string]*day, len(cp.Days))
	all := map[Key]int64{}
	for name, cd := range cp.Days {
		h, err := hdrhistogram.Decode([]byte(cd.Latency))
		if err != nil {
			return fmt.Errorf("counter: decode latency of %s: %w", name, err)
		}
		d := &day{rows: make(map[Key]int64, len(cd.Rows)), latency: h, enc: cd.Latency}
		for _, r := range cd.Rows {
			k := Key{r.Consumer, r.Provider, r.Service, r.Code}
			d.rows[k] += r.Count
			all[k] += r.Count
		}
		for _, r := range cd.Hours {
			if r.Hour < 0 || r.Hour > 23 {
				return fmt.Errorf("counter: checkpoint of %s has hour %d", name, r.Hour)
			}
			if d.hours[r.Hour] == nil {
				d.hours[r.Hour] = map[HourKey]int64{}
			}
			d.hours[r.Hour][HourKey{r.Provider, r.Service, r.Code}] += r.Count
		}
		days[name] = d
	}
	c.mu.Lock()
	c.days, c.all, c.lost, c.restored = days, all, cp.Lost, cp.Sequence
	c.applied.Store(cp.Sequence)
	c.mu.Unlock()
	c.saved.Store(cp.Sequence)
	c.log.Info("counters restored from checkpoint", zap.Uint64("sequence", cp.Sequence), zap.Int("days", len(days)))
	return nil
}

// checkpointLoop saves periodically until Stop, then once more.
func (c *Counter) checkpointLoop() {
	defer close(c.done)
	if c.cfg.CheckpointInterval < 0 {
		<-c.stop
		return
	}
	// A periodic save ends when Stop is called (it may wait out its
	// timeout while NATS is gone), and Stop wins over a pending tick: so
	// Stop waits for the last save alone, bounded by stopCheckpointTimeout.
	stopping, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.stop
		cancel()
	}()
	t := time.NewTicker(c.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			if c.nc.IsConnected() {
				c.save(context.Background(), stopCheckpointTimeout)
			} else {
				c.log.Warn("NATS is gone: stopping without a last checkpoint; a restart will read more of the stream")
			}
			return
		case <-t.C:
			if stopping.Err() == nil {
				c.save(stopping, checkpointTimeout)
			}
		}
	}
}

func (c *Counter) save(parent context.Context, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	if err := c.Checkpoint(ctx); err != nil {
		if parent.Err() != nil {
			return // Stop ended it; the last save follows
		}
		c.log.Warn("checkpoint not saved; a restart will read more of the stream", zap.Error(err))
	}
}
