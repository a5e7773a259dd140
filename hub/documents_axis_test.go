package hub_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/basic"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	documentv1 "github.com/ndxp/ndxp/proto/ndxp/document/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// startAxis runs the document exchange axis's simulator and the sender.
func startAxis(t *testing.T, opts ...hubtest.Option) *hubtest.Env {
	t.Helper()
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := full.Filter(topology.DocumentExchangeCode, consumer)
	if err != nil {
		t.Fatal(err)
	}
	return hubtest.Start(t, append([]hubtest.Option{hubtest.WithTopology(sub), hubtest.WithSimulators(simulators.Config{Seed: 1}), hubtest.WithoutPopulation()}, opts...)...)
}

// receivedBy polls the sender's view of a document until recipient's
// receipt RECEIVED is there.
func receivedBy(t *testing.T, c hubv1.DocumentServiceClient, sender, id, recipient string) {
	t.Helper()
	hubtest.Eventually(t, 30*time.Second, func() error {
		got, err := c.GetDocument(ctxT(t), &hubv1.GetDocumentRequest{Sender: sender, DocumentId: id})
		if err != nil {
			return err
		}
		for _, r := range got.GetReceipts() {
			if r.GetRecipient() == recipient && r.GetStatus() == hubv1.ReceiptStatus_RECEIPT_STATUS_RECEIVED {
				return nil
			}
		}
		return fmt.Errorf("no receipt RECEIVED of %s yet: %v", recipient, got.GetReceipts())
	})
}

// TestDocumentAxisForwards: a "document-send" to the axis's simulator,
// synchronous or through the delivery queue, lands in the recipient's
// inbox under the consumer's name, and the receipt comes back to the
// consumer (before, the axis answered "queued" and kept nothing).
func TestDocumentAxisForwards(t *testing.T) {
	env := startAxis(t)
	docs := hubv1.NewDocumentServiceClient(env.Conn)
	h01 := "000.00.00.H01"
	doc := &documentv1.SendDocumentRequest{RecipientCode: h01, DocumentNumber: "76/BC-BTTTT", Subject: "Báo cáo tháng 8", Content: []byte("Kính gửi ...")}
	out, err := env.Exchange.Exchange(ctxT(t), &hubv1.ExchangeRequest{
		MessageId: "axis-1", Consumer: consumer, Provider: topology.DocumentExchangeCode, Service: topology.ServiceDocumentSend, Payload: payload(t, doc),
	})
	if err != nil {
		t.Fatal(err)
	}
	var resp documentv1.SendDocumentResponse
	if err := out.GetPayload().UnmarshalTo(&resp); err != nil {
		t.Fatal(err)
	}
	if resp.GetTrackingId() != "axis-1" || resp.GetStatus() != basic.StatusStored {
		t.Fatalf("document-send = %v, want tracking id axis-1, status %q", &resp, basic.StatusStored)
	}
	send(t, deliveryClient(env), &hubv1.SendRequest{
		MessageId: "axis-2", Consumer: consumer, Provider: topology.DocumentExchangeCode, Service: topology.ServiceDocumentSend,
		Payload: payload(t, doc), BusinessTime: timestamppb.New(durableDay),
	})
	if d := finished(t, deliveryClient(env), "axis-2"); d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_DELIVERED {
		t.Fatalf("delivery axis-2 = %v, want DELIVERED", d)
	}
	got := receiveDocs(t, docs, h01, 2)
	for i, id := range []string{"axis-1", "axis-2"} {
		e := got[i].GetEnvelope()
		if e.GetDocumentId() != id || e.GetSender() != consumer || e.GetDocumentNumber() != "76/BC-BTTTT" || e.GetDocumentType() != basic.DefaultDocumentType || string(e.GetContent()) != "Kính gửi ..." {
			t.Fatalf("document %d in %s's inbox = %v, want %s from %s", i, h01, e, id, consumer)
		}
		receivedBy(t, docs, consumer, id, h01)
	}
}

// TestDocumentRelayNeedsToken: a document sent for another agency needs a
// context token of a "document-send" exchange served by the axis; a
// forged or foreign one is refused naming context_token, and with a true
// one the envelope may not name another sender.
func TestDocumentRelayNeedsToken(t *testing.T) {
	env := startAxis(t, hubtest.WithSecurity())
	docs := hubv1.NewDocumentServiceClient(env.DialAs(t, consumer))
	for _, tc := range []struct{ token, field string }{
		{"not-a-token", "context_token"},
		{"eyJwYXJlbnQiOiJ4In0..", "context_token"},
	} {
		_, err := docs.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: envelope("relay-1", "000.00.00.H01"), ContextToken: tc.token})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), tc.field) {
			t.Fatalf("SendDocument with token %q: %v, want InvalidArgument naming %s", tc.token, err, tc.field)
		}
	}
}
