package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/ndxp/ndxp/internal/wire"
)

// Defaults for Config.
const (
	DefaultStream        = "NDXP_EVENTS"
	DefaultMaxBytes      = 128 << 20 // events kept (~400,000 life events); NDXP_TX, NDXP_AUDIT and the rest take most of the embedded 8 GiB
	DefaultMaxAge        = 7 * 24 * time.Hour
	DefaultDuplicates    = 10 * time.Minute
	DefaultAckWait       = 30 * time.Second
	DefaultMaxAckPending = 1000
	// MaxWindow caps a subscription's window.
	MaxWindow = DefaultMaxAckPending
)

// Config configures the event stream and its consumers. The zero value of
// each field means its default.
type Config struct {
	// Stream is the JetStream stream holding the events.
	Stream string
	// Replicas is the replica count of the stream (default 1).
	Replicas int
	// MaxBytes caps the stream; when it is full, Publish is refused
	// (nothing a subscriber has not received is dropped to make room).
	MaxBytes int64
	// MaxAge is how long an event is kept for subscribers that are away.
	MaxAge time.Duration
	// Duplicates is how long an event id is remembered, so that an event
	// published again is stored once.
	Duplicates time.Duration
	// AckWait is how long a delivered event may stay unacknowledged
	// before it is delivered again (a subscriber or hub that died).
	AckWait time.Duration
	// MaxAckPending caps the events unacknowledged per subscriber and type.
	MaxAckPending int
	// Types are the declared event types (default DefaultTypes).
	Types []Type
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
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
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.Types == nil {
		c.Types = DefaultTypes()
	}
}

// Validate reports settings that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.MaxBytes < 0 || c.Replicas < 0 || c.MaxAckPending < 0:
		return errors.New("events: limits must not be negative")
	case c.MaxAge < 0 || c.Duplicates < 0 || c.AckWait < 0:
		return errors.New("events: durations must not be negative")
	case c.Duplicates > c.MaxAge:
		return fmt.Errorf("events: the duplicate window %s exceeds the stream's MaxAge %s", c.Duplicates, c.MaxAge)
	}
	seen := map[string]bool{}
	for _, t := range c.Types {
		if _, err := wire.EventSubject(t.Publisher, t.Code); err != nil {
			return fmt.Errorf("events: type %q of %q: %w", t.Code, t.Publisher, err)
		}
		if t.Payload == nil && t.PayloadName == "" {
			return fmt.Errorf("events: type %q has no payload message", t.Code)
		}
		if seen[t.Code] {
			return fmt.Errorf("events: type %q declared twice", t.Code)
		}
		seen[t.Code] = true
	}
	return nil
}
