package documents

import (
	"errors"
	"time"

	"github.com/ndxp/ndxp/internal/wire"
)

// Defaults for Config.
const (
	DefaultStream        = "NDXP_DOCS"
	DefaultBucket        = "ndxp_documents"
	DefaultMaxBytes      = 192 << 20 // documents waiting in inboxes; within the embedded 8 GiB with the other streams
	DefaultStateMaxBytes = 64 << 20  // envelopes without content, and receipts
	DefaultMaxAge        = 30 * 24 * time.Hour
	DefaultDuplicates    = 10 * time.Minute
	DefaultKeep          = 30 * 24 * time.Hour
	DefaultAckWait       = 30 * time.Second
	DefaultMaxAckPending = 1000
	// DefaultAxis is the national document exchange axis, the provider of
	// the "document-sent" transactions.
	DefaultAxis = "000.00.02.G22"
)

// Config configures the inbox stream and the state bucket. The zero value
// of each field means its default.
type Config struct {
	// Stream is the JetStream work-queue stream of the inboxes.
	Stream string
	// Bucket keeps each document's envelope and receipts.
	Bucket string
	// Replicas is the replica count on a NATS cluster (default 1).
	Replicas int
	// MaxBytes caps the inboxes; when full, SendDocument is refused.
	MaxBytes int64
	// StateMaxBytes caps the state bucket.
	StateMaxBytes int64
	// MaxAge drops a document no recipient fetched after this long.
	MaxAge time.Duration
	// Duplicates is how long a document id is remembered.
	Duplicates time.Duration
	// Keep is how long a document's state and receipts are kept.
	Keep time.Duration
	// AckWait is how long a delivered document may stay unacknowledged
	// before it is delivered again.
	AckWait time.Duration
	// MaxAckPending caps the unacknowledged documents per recipient.
	MaxAckPending int
	// Axis is the agency code the "document-sent" transactions name as
	// provider.
	Axis string
}

func (c *Config) setDefaults() {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.Stream, DefaultStream)
	def(&c.Bucket, DefaultBucket)
	def(&c.Axis, DefaultAxis)
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	for _, p := range []struct {
		v *int64
		d int64
	}{{&c.MaxBytes, DefaultMaxBytes}, {&c.StateMaxBytes, DefaultStateMaxBytes}} {
		if *p.v == 0 {
			*p.v = p.d
		}
	}
	for _, p := range []struct {
		v *time.Duration
		d time.Duration
	}{{&c.MaxAge, DefaultMaxAge}, {&c.Duplicates, DefaultDuplicates}, {&c.Keep, DefaultKeep}, {&c.AckWait, DefaultAckWait}} {
		if *p.v == 0 {
			*p.v = p.d
		}
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.MaxBytes < 0 || c.StateMaxBytes < 0 || c.Replicas < 0 || c.MaxAckPending < 0:
		return errors.New("documents: limits must not be negative")
	case c.MaxAge < 0 || c.Duplicates < 0 || c.Keep < 0 || c.AckWait < 0:
		return errors.New("documents: durations must not be negative")
	case c.Duplicates > c.MaxAge:
		return errors.New("documents: the duplicate window exceeds MaxAge")
	}
	return wire.ValidateAgencyCode(c.Axis)
}
