package hub

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ndxp/ndxp/internal/vn"
)

// Errors of the per-consumer limits; both map to RESOURCE_EXHAUSTED.
var (
	// ErrRateLimited: the consumer exceeds Security.RateLimit.
	ErrRateLimited = errors.New("hub: rate limit exceeded")
	// ErrQuotaExceeded: the consumer used up Security.DailyQuota.
	ErrQuotaExceeded = errors.New("hub: daily quota exceeded")
)

// maxTracked bounds the consumers tracked at once; past it the table
// starts afresh (only possible with a flood of distinct consumers, which
// insecure mode allows).
const maxTracked = 100_000

// limiter applies Security's per-consumer rate limit (and, given one, a
// daily quota) on this hub. It is safe for concurrent use. The hub gives
// it the rate limit only: the daily quota is shared (sharedQuota).
type limiter struct {
	limit rate.Limit
	burst int
	quota int64

	mu        sync.Mutex
	consumers map[string]*consumerLimit
}

type consumerLimit struct {
	rate *rate.Limiter
	day  string
	used int64
}

func newLimiter(s Security) *limiter {
	burst := s.RateBurst
	if burst == 0 {
		burst = max(1, int(s.RateLimit))
	}
	return &limiter{limit: rate.Limit(s.RateLimit), burst: burst, quota: s.DailyQuota, consumers: map[string]*consumerLimit{}}
}

// rateOnly is s without the daily quota, which sharedQuota applies.
func rateOnly(s Security) Security {
	s.DailyQuota = 0
	return s
}

// allow takes one exchange of consumer at now, or says which limit it
// exceeds.
func (l *limiter) allow(consumer string, now time.Time) error {
	if l.limit == 0 && l.quota == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.consumers[consumer]
	if c == nil {
		if len(l.consumers) >= maxTracked {
			clear(l.consumers)
		}
		c = &consumerLimit{rate: rate.NewLimiter(l.limit, l.burst)}
		if l.limit == 0 {
			c.rate = rate.NewLimiter(rate.Inf, 0)
		}
		l.consumers[consumer] = c
	}
	if !c.rate.AllowN(now, 1) {
		return fmt.Errorf("%w: %s may make %g exchanges per second (burst %d) on this hub; slow down and retry",
			ErrRateLimited, consumer, float64(l.limit), l.burst)
	}
	if l.quota == 0 {
		return nil
	}
	if d := vn.Day(now); d != c.day {
		c.day, c.used = d, 0
	}
	if c.used >= l.quota {
		return fmt.Errorf("%w: %s may make %d exchanges per business day on this hub and made them all on %s",
			ErrQuotaExceeded, consumer, l.quota, c.day)
	}
	c.used++
	return nil
}
