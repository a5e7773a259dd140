package node_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/events"
	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// listener is an agency node that subscribes to births and takes its
// documents; its first event handling fails once.
type listener struct {
	mu     sync.Mutex
	events []string // event ids, in the order handled
	failed bool
	docs   []string
	client *node.Client
}

func (l *listener) Agency() *hubv1.Agency {
	return &hubv1.Agency{Code: events.Population, Name: "test population", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER}
}

func (l *listener) Install(n *node.Node) {
	l.client = n.Client()
	n.Handle(&hubv1.Service{Code: "ping"}, func(context.Context, *node.Request) (proto.Message, error) { return &hubv1.Count{}, nil })
	n.OnEvent(events.TypeBirthRegistered, func(_ context.Context, ev *hubv1.Event) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.failed {
			l.failed = true
			return errors.New("database busy")
		}
		l.events = append(l.events, ev.GetEventId())
		return nil
	})
	n.OnDocument(func(_ context.Context, d *hubv1.ReceivedDocument) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.docs = append(l.docs, d.GetEnvelope().GetDocumentId())
		return nil
	})
}

func (l *listener) handled() ([]string, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...), append([]string(nil), l.docs...)
}

// TestOnEventAndOnDocument: the SDK's subscriptions receive events and
// documents through the hub; a handler's error leaves the event to come
// again (first); each is acknowledged once handled and counted.
func TestOnEventAndOnDocument(t *testing.T) {
	l := &listener{}
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithAgencies(hubtest.Group(l)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ec := hubv1.NewEventServiceClient(env.Conn)
	for i := range 3 {
		p, _ := anypb.New(&eventsv1.BirthRegistered{RegistrationRef: fmt.Sprint("KS-", i)})
		if _, err := ec.Publish(ctx, &hubv1.PublishRequest{EventId: fmt.Sprint("KS-", i), Publisher: events.CivilRegistry, Type: events.TypeBirthRegistered, Payload: p}); err != nil {
			t.Fatal(err)
		}
	}
	dc := hubv1.NewDocumentServiceClient(env.Conn)
	if _, err := dc.SendDocument(ctx, &hubv1.SendDocumentRequest{Envelope: &hubv1.DocumentEnvelope{
		DocumentId: "cv-1", Sender: "000.00.00.H29", Recipients: []string{events.Population}, DocumentNumber: "1/CV", DocumentType: "công văn", Subject: "Thử",
	}}); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, time.Minute, func() error {
		evs, docs := l.handled()
		if fmt.Sprint(evs) != "[KS-0 KS-1 KS-2]" || fmt.Sprint(docs) != "[cv-1]" {
			return fmt.Errorf("handled events %v, documents %v", evs, docs)
		}
		return nil
	})
	if err := l.client.SendReceipt(ctx, "000.00.00.H29", "cv-1", hubv1.ReceiptStatus_RECEIPT_STATUS_DONE, ""); err != nil {
		t.Fatal(err)
	}
	st, err := dc.GetDocument(ctx, &hubv1.GetDocumentRequest{Sender: "000.00.00.H29", DocumentId: "cv-1"})
	if err != nil || len(st.GetReceipts()) != 2 || st.GetReceipts()[1].GetStatus() != hubv1.ReceiptStatus_RECEIPT_STATUS_DONE {
		t.Fatalf("receipts %v, %v; want RECEIVED then DONE", st.GetReceipts(), err)
	}
}
