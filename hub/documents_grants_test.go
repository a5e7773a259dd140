package hub_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/vn"
	documentv1 "github.com/ndxp/ndxp/proto/ndxp/document/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// wantRows waits until today's counters hold want (a subset).
func wantRows(t *testing.T, env *hubtest.Env, want map[string]int64) {
	t.Helper()
	hubtest.Eventually(t, 20*time.Second, func() error {
		got := dayRows(t, env, vn.Day(time.Now()))
		for k, n := range want {
			if got[k] != n {
				return fmt.Errorf("counters %v, want %s = %d", got, k, n)
			}
		}
		return nil
	})
}

// TestDocumentGrants: documents are denied by default, like exchanges:
// the topology's default grants let its agencies send to each other (also
// through the axis's "document-send", forwarded with the axis's own
// certificate), a recipient outside them refuses with PERMISSION_DENIED
// naming the recipient, and the refusal is recorded and counted.
func TestDocumentGrants(t *testing.T) {
	const h01, h02 = "000.00.00.H01", "000.00.00.H02"
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.DocumentExchangeCode, consumer, h01)
	if err != nil {
		t.Fatal(err)
	}
	env := startAxis(t, hubtest.WithSecurity(), hubtest.WithGrants(platform.DefaultGrants(sub)...))
	conn := env.DialAs(t, consumer)
	docs := hubv1.NewDocumentServiceClient(conn)
	env1 := envelope("granted-1", h01)
	if _, err := docs.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: env1}); err != nil {
		t.Fatalf("to %s (default grant): %v", h01, err)
	}
	_, err = docs.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: envelope("denied-1", h01, h02)})
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), "envelope.recipients[1]") || !strings.Contains(st.Message(), h02+"/documents") {
		t.Fatalf("to %s without a grant: %v, want PermissionDenied naming envelope.recipients[1] and %s/documents", h02, err, h02)
	}
	ex := hubv1.NewExchangeServiceClient(conn)
	for _, tc := range []struct {
		id, to string
		code   codes.Code
	}{{"axis-granted", h01, codes.OK}, {"axis-denied", h02, codes.PermissionDenied}} {
		p, _ := anypb.New(&documentv1.SendDocumentRequest{RecipientCode: tc.to, DocumentNumber: "1/CV", Subject: "Công văn"})
		_, err := ex.Exchange(ctxT(t), &hubv1.ExchangeRequest{MessageId: tc.id, Provider: topology.DocumentExchangeCode, Service: topology.ServiceDocumentSend, Payload: p})
		if status.Code(err) != tc.code {
			t.Fatalf("document-send to %s: %v, want %v", tc.to, err, tc.code)
		}
	}
	wantRows(t, env, map[string]int64{
		consumer + " " + topology.DocumentExchangeCode + " document-sent OK":                1,
		consumer + " " + topology.DocumentExchangeCode + " document-sent PERMISSION_DENIED": 2,
		consumer + " " + topology.DocumentExchangeCode + " document-send OK":                1,
		consumer + " " + topology.DocumentExchangeCode + " document-send PERMISSION_DENIED": 1,
	})
	if got := receiveDocs(t, hubv1.NewDocumentServiceClient(env.DialAs(t, h01)), h01, 2); got[0].GetEnvelope().GetDocumentId() != "granted-1" || got[1].GetEnvelope().GetDocumentId() != "axis-granted" {
		t.Fatalf("%s's inbox: %v, want granted-1 and axis-granted", h01, got)
	}
}

// TestAsyncLimits: the consumer's rate limit applies to event publishing
// and document sending as to exchanges: past the burst, RESOURCE_EXHAUSTED
// naming the rate limit, counted in aggregate.
func TestAsyncLimits(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithHubConfig(hub.Config{Security: hub.Security{
		RateLimit: 0.001, RateBurst: 2, // 2 at once, then one per 1000 s: no timing in the test
	}}))
	ev := hubv1.NewEventServiceClient(env.Conn)
	docs := hubv1.NewDocumentServiceClient(env.Conn)
	publish := func() error {
		_, err := ev.Publish(ctxT(t), &hubv1.PublishRequest{Publisher: consumer, Type: "no-such-type", EventId: "e-1"})
		return err
	}
	sendDoc := func() error {
		_, err := docs.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: envelope("limited-1", "000.00.00.H01")})
		return err
	}
	if err := publish(); status.Code(err) == codes.ResourceExhausted {
		t.Fatalf("first publication: %v, want refused for its type, not the limit", err)
	}
	if err := sendDoc(); err != nil {
		t.Fatalf("first document: %v", err)
	}
	for name, f := range map[string]func() error{"publish": publish, "send document": sendDoc} {
		if st := status.Convert(f()); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "rate limit") {
			t.Fatalf("%s past the burst: %v, want ResourceExhausted naming the rate limit", name, st)
		}
	}
	wantRows(t, env, map[string]int64{
		consumer + " " + consumer + " " + hub.ServiceEventPublished + " RESOURCE_EXHAUSTED":  1,
		consumer + " " + topology.DocumentExchangeCode + " document-sent RESOURCE_EXHAUSTED": 1,
		consumer + " " + topology.DocumentExchangeCode + " document-sent OK":                 1,
	})
}

// TestAsyncQuota: the daily quota applies to event publishing and document
// sending too: past it RESOURCE_EXHAUSTED naming the daily quota.
func TestAsyncQuota(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithHubConfig(hub.Config{Security: hub.Security{DailyQuota: 1}}))
	docs := hubv1.NewDocumentServiceClient(env.Conn)
	if _, err := docs.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: envelope("quota-1", "000.00.00.H01")}); err != nil {
		t.Fatalf("first document: %v", err)
	}
	_, err := docs.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: envelope("quota-2", "000.00.00.H01")})
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "daily quota") {
		t.Fatalf("second document: %v, want ResourceExhausted naming the daily quota", err)
	}
	_, err = hubv1.NewEventServiceClient(env.Conn).Publish(ctxT(t), &hubv1.PublishRequest{Publisher: consumer, Type: "no-such-type", EventId: "e-1"})
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "daily quota") {
		t.Fatalf("publication past the quota: %v, want ResourceExhausted naming the daily quota", err)
	}
	wantRows(t, env, map[string]int64{
		consumer + " " + consumer + " " + hub.ServiceEventPublished + " RESOURCE_EXHAUSTED":  1,
		consumer + " " + topology.DocumentExchangeCode + " document-sent RESOURCE_EXHAUSTED": 1,
	})
}
