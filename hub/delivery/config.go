package delivery

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for Config.
const (
	DefaultStream         = "NDXP_DELIVERY"
	DefaultBucket         = "ndxp_deliveries"
	DefaultConsumer       = "ndxp-delivery"
	DefaultMaxBytes       = 512 << 20 // requests waiting; with NDXP_TX and NDXP_AUDIT within the embedded 8 GiB
	DefaultMaxAge         = 7 * 24 * time.Hour
	DefaultDuplicates     = 10 * time.Minute
	DefaultStateMaxBytes  = 512 << 20 // delivery states and answers
	DefaultKeep           = 7 * 24 * time.Hour
	DefaultAttemptTimeout = 10 * time.Second
	DefaultAckWait        = 30 * time.Second
	DefaultMaxDeliver     = 100
	DefaultWorkers        = 32
)

// DefaultBackoff is the wait before each further attempt while the
// provider is offline; the last step repeats. With DefaultMaxDeliver a
// delivery is retried for about eight hours.
var DefaultBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute}

// Config configures the delivery stream, its consumer and the state
// bucket. The zero value of each field means its default.
type Config struct {
	// Stream is the JetStream work-queue stream holding requests until
	// they are delivered.
	Stream string
	// Bucket is the key-value bucket keeping each delivery's state.
	Bucket string
	// Consumer is the durable pull consumer every hub shares, so that each
	// request is with one hub at a time.
	Consumer string
	// Replicas is the replica count of the stream and bucket on a NATS
	// cluster (default 1).
	Replicas int
	// MaxBytes caps the stream; when it is full, Send is refused (nothing
	// waiting is ever discarded to make room).
	MaxBytes int64
	// MaxAge drops a request not delivered after this long.
	MaxAge time.Duration
	// Duplicates is how long a message id is remembered, so a re-sent
	// request is stored once.
	Duplicates time.Duration
	// StateMaxBytes caps the state bucket.
	StateMaxBytes int64
	// Keep is how long a delivery's state (and the provider's answer) is
	// kept for GetDelivery.
	Keep time.Duration
	// AttemptTimeout bounds one delivery attempt.
	AttemptTimeout time.Duration
	// AckWait is how long a request stays with a hub before another hub
	// may take it (a hub that died mid-attempt); it must exceed
	// AttemptTimeout.
	AckWait time.Duration
	// MaxDeliver is how many attempts a request gets before it fails.
	MaxDeliver int
	// Backoff is the wait before each further attempt (the last repeats).
	Backoff []time.Duration
	// Workers is how many deliveries one hub makes at once.
	Workers int
}

func (c *Config) setDefaults() {
	set := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	set(&c.Stream, DefaultStream)
	set(&c.Bucket, DefaultBucket)
	set(&c.Consumer, DefaultConsumer)
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.StateMaxBytes == 0 {
		c.StateMaxBytes = DefaultStateMaxBytes
	}
	if c.Keep == 0 {
		c.Keep = DefaultKeep
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.AckWait == 0 {
		c.AckWait = max(DefaultAckWait, 2*c.AttemptTimeout)
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.Backoff) == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.MaxBytes < 0 || c.StateMaxBytes < 0 || c.Replicas < 0 || c.Workers < 0 || c.MaxDeliver < 0:
		return errors.New("delivery: limits must not be negative")
	case c.MaxAge < 0 || c.Duplicates < 0 || c.Keep < 0 || c.AttemptTimeout < 0 || c.AckWait < 0:
		return errors.New("delivery: durations must not be negative")
	case c.Duplicates > c.MaxAge:
		return fmt.Errorf("delivery: the duplicate window %s exceeds the stream's MaxAge %s", c.Duplicates, c.MaxAge)
	case c.AckWait <= c.AttemptTimeout:
		return fmt.Errorf("delivery: AckWait %s must exceed AttemptTimeout %s, or a request would go to a second hub while the first still delivers it", c.AckWait, c.AttemptTimeout)
	}
	for _, d := range c.Backoff {
		if d <= 0 {
			return fmt.Errorf("delivery: backoff step %s must be positive", d)
		}
	}
	return nil
}

// backoff is the wait after the attempt-th attempt failed (attempt >= 1).
func (c *Config) backoff(attempt int) time.Duration {
	return c.Backoff[min(max(attempt-1, 0), len(c.Backoff)-1)]
}
