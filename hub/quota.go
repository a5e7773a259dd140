package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/counters"

	"github.com/ndxp/ndxp/internal/vn"
	"github.com/ndxp/ndxp/internal/wire"
)

// Names of the shared quota counters.
const (
	// QuotaStream holds one counter per consumer and business day,
	// ndxp.quota.<day>.<consumer token>, that every hub adds to.
	QuotaStream  = "NDXP_QUOTA"
	quotaSubject = "ndxp.quota"
	// quotaAge keeps a day's counters past its end in any time zone.
	quotaAge = 49 * time.Hour
)

// ErrQuotaUnavailable: the shared quota counter could not be read, so
// the exchange is refused (UNAVAILABLE) rather than let past the quota.
var ErrQuotaUnavailable = errors.New("hub: the shared daily quota cannot be checked")

// sharedQuota applies Security.DailyQuota for the platform, not per hub:
// each admitted exchange adds one to its consumer's counter of the
// business day in a JetStream counter stream (nats-server 2.12+) that
// every hub shares, and the exchange is refused once the sum passes the
// quota. Refused attempts count too, as they did per hub.
type sharedQuota struct {
	c     counters.Counter
	quota int64
}

// openQuota creates or opens the counter stream; nil when there is no
// quota.
func openQuota(ctx context.Context, js jetstream.JetStream, quota int64, replicas int) (*sharedQuota, error) {
	if quota == 0 {
		return nil, nil
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: QuotaStream, Description: "ndxp daily quota counters, shared by every hub",
		Subjects: []string{quotaSubject + ".>"}, AllowMsgCounter: true, AllowDirect: true,
		MaxAge: quotaAge, Replicas: max(1, replicas), Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("hub: quota counters %s (need nats-server 2.12 or later): %w", QuotaStream, err)
	}
	c, err := counters.NewCounterFromStream(js, s)
	if err != nil {
		return nil, fmt.Errorf("hub: quota counters %s: %w", QuotaStream, err)
	}
	return &sharedQuota{c: c, quota: quota}, nil
}

// take counts one exchange of consumer at now, or says that the
// platform-wide quota is used up.
func (q *sharedQuota) take(ctx context.Context, consumer string, now time.Time) error {
	if q == nil {
		return nil
	}
	day := vn.Day(now)
	token := "_"
	if wire.ValidateAgencyCode(consumer) == nil {
		token = wire.Token(consumer)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := q.c.AddInt(ctx, quotaSubject+"."+day+"."+token, 1)
	if err != nil {
		return fmt.Errorf("%w: %v; retry", ErrQuotaUnavailable, err)
	}
	if v.IsInt64() && v.Int64() <= q.quota {
		return nil
	}
	return fmt.Errorf("%w: %s may make %d exchanges per business day on the platform (all hubs together) and made them all on %s",
		ErrQuotaExceeded, consumer, q.quota, day)
}
