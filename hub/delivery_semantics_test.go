package hub_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestSendRetriesProviderNotNow: a provider that answers "not now"
// (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED: overloaded, rate
// limited, a dependency down) gets the request again after the backoff,
// instead of the delivery failing at once; it is counted once, OK.
func TestSendRetriesProviderNotNow(t *testing.T) {
	for _, code := range []codes.Code{codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted} {
		t.Run(code.String(), func(t *testing.T) {
			var mu sync.Mutex
			served := 0
			provider := "000.00.99.G94"
			env := hubtest.Start(t, quickDelivery(0), hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{
				Code: provider,
				Handlers: map[string]node.Handler{"document-send": func(context.Context, *node.Request) (proto.Message, error) {
					mu.Lock()
					defer mu.Unlock()
					served++
					if served <= 2 {
						return nil, node.Errorf(code, "busy, try later")
					}
					return &hubv1.Count{Total: 1}, nil
				}},
			})))
			c := deliveryClient(env)
			send(t, c, &hubv1.SendRequest{MessageId: "not-now", Consumer: consumer, Provider: provider, Service: "document-send", BusinessTime: timestamppb.New(durableDay)})
			d := finished(t, c, "not-now")
			if d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_DELIVERED || d.GetAttempts() != 3 {
				t.Fatalf("delivery %v, want DELIVERED on the third attempt", d)
			}
			wantCounted(t, env, 1, "OK", 1)
		})
	}
}

// TestSendGrantRevokedBeforeDelivery: a request accepted while the grant
// stood, waiting because the provider cannot serve yet, is not delivered
// once the grant is revoked: it fails with PERMISSION_DENIED, counted once,
// and the provider never serves it.
func TestSendGrantRevokedBeforeDelivery(t *testing.T) {
	provider := "000.00.99.G94"
	grant := &hubv1.AccessGrant{Provider: provider, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer}}
	var (
		mu     sync.Mutex
		down   = true
		tried  = 0
		served = 0
	)
	env := hubtest.Start(t, hubtest.WithSecurity(), quickDelivery(100000), hubtest.WithGrants(grant),
		hubtest.WithAgencies(hubtest.Group(&hubtest.FuncAgency{Code: provider, Handlers: map[string]node.Handler{
			"document-send": func(context.Context, *node.Request) (proto.Message, error) {
				mu.Lock()
				defer mu.Unlock()
				if down {
					tried++
					return nil, node.Errorf(codes.Unavailable, "document system down for maintenance")
				}
				served++
				return &hubv1.Count{Total: 1}, nil
			}}})))
	h29 := hubv1.NewDeliveryServiceClient(env.DialAs(t, consumer))
	send(t, h29, &hubv1.SendRequest{MessageId: "revoked-1", Provider: provider, Service: "document-send"})
	hubtest.Eventually(t, 60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if tried == 0 {
			return errors.New("not tried yet")
		}
		return nil
	})
	if _, err := env.Access.Revoke(ctxT(t), &hubv1.RevokeRequest{Grant: grant}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	d := finished(t, h29, "revoked-1")
	if d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_FAILED || codes.Code(d.GetError().GetCode()) != codes.PermissionDenied {
		t.Fatalf("delivery %v, want FAILED with PERMISSION_DENIED", d)
	}
	st := todayStats(t, env)
	if c := st.GetCount(); c.GetTotal() != 1 || c.GetSucceeded() != 0 {
		t.Fatalf("today counts %v, want the one refused delivery", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if served != 0 {
		t.Fatalf("the provider served the revoked request %d times", served)
	}
}
