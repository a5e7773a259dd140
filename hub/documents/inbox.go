package documents

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// MaxWindow caps an inbox stream's window.
const MaxWindow = 1000

// ackTimeout bounds recording and acknowledging one document.
const ackTimeout = 10 * time.Second

// Inbox is one stream of a recipient's documents, read from its durable
// consumer. Next and Ack may be called from different goroutines; Close
// releases it.
type Inbox struct {
	s         *Service
	recipient string
	it        jetstream.MessagesContext
	slots     chan struct{}
	closing   sync.Once

	mu      sync.Mutex
	pending map[uint64]held
}

type held struct {
	m   jetstream.Msg
	doc *hubv1.ReceivedDocument
	at  time.Time
}

// ConsumerName is the durable consumer of recipient's inbox.
func ConsumerName(recipient string) string { return "doc_" + wire.Token(recipient) }

// Open opens recipient's inbox with at most window (1 when 0) documents
// unacknowledged at once.
func (s *Service) Open(ctx context.Context, recipient string, window int) (*Inbox, error) {
	if err := wire.ValidateAgencyCode(recipient); err != nil {
		return nil, field.Wrap("recipient", err)
	}
	if window < 0 || window > MaxWindow {
		return nil, field.Errorf("window", "is %d; want 0 to %d", window, MaxWindow)
	}
	window = max(window, 1)
	cons, err := s.js.CreateOrUpdateConsumer(ctx, s.cfg.Stream, jetstream.ConsumerConfig{
		Durable: ConsumerName(recipient), Description: recipient + "'s document inbox",
		FilterSubject: wire.DocumentInbox(recipient), AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: s.cfg.AckWait, MaxAckPending: s.cfg.MaxAckPending, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(window))
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	return &Inbox{s: s, recipient: recipient, it: it, slots: make(chan struct{}, window), pending: map[uint64]held{}}, nil
}

// Next waits for the next document, once fewer than the window are
// unacknowledged; it fails when ctx ends or the inbox is closed.
func (in *Inbox) Next(ctx context.Context) (*hubv1.ReceivedDocument, error) {
	select {
	case in.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	m, err := in.it.Next()
	if err != nil {
		<-in.slots
		return nil, err
	}
	meta, err := m.Metadata()
	env := &hubv1.DocumentEnvelope{}
	if err == nil {
		err = proto.Unmarshal(m.Data(), env)
	}
	if err != nil {
		_ = m.Term()
		<-in.slots
		return nil, fmt.Errorf("documents: undecodable document: %w", err)
	}
	doc := &hubv1.ReceivedDocument{Envelope: env, Sequence: meta.Sequence.Stream, Delivery: uint32(meta.NumDelivered)}
	in.mu.Lock()
	in.pending[doc.GetSequence()] = held{m: m, doc: doc, at: time.Now()}
	in.mu.Unlock()
	return doc, nil
}

// Ack records the document at sequence received (its transaction and the
// receipt RECEIVED), then acknowledges it, which removes it from the inbox.
func (in *Inbox) Ack(ctx context.Context, sequence uint64) error {
	in.mu.Lock()
	h, ok := in.pending[sequence]
	in.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: sequence %d", ErrNotPending, sequence)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	if err := in.s.received(ctx, in.recipient, h.doc.GetEnvelope(), timestamppb.New(h.at)); err != nil {
		return err
	}
	if err := h.m.DoubleAck(ctx); err != nil {
		return errors.Join(ErrNotStored, err)
	}
	in.mu.Lock()
	if _, ok := in.pending[sequence]; ok {
		delete(in.pending, sequence)
		<-in.slots
	}
	in.mu.Unlock()
	return nil
}

// received records recipient's document env received (its transaction
// and the receipt RECEIVED, each once); at is when it was handed out.
func (s *Service) received(ctx context.Context, recipient string, env *hubv1.DocumentEnvelope, at *timestamppb.Timestamp) error {
	rc := &hubv1.Receipt{Recipient: recipient, Status: hubv1.ReceiptStatus_RECEIPT_STATUS_RECEIVED, At: timestamppb.Now()}
	err := s.addReceipt(ctx, env.GetSender(), env.GetDocumentId(), rc, func(last hubv1.ReceiptStatus) error {
		if last != hubv1.ReceiptStatus_RECEIPT_STATUS_UNSPECIFIED {
			return errAlreadyReceived
		}
		return nil
	})
	if err != nil && !errors.Is(err, errAlreadyReceived) && !errors.Is(err, ErrUnknown) {
		return err
	}
	return s.deps.Recorder.Record(&hubv1.TransactionRecord{
		MessageId: "doc:" + env.GetSender() + ":" + env.GetDocumentId(), Consumer: recipient, Provider: env.GetSender(), Service: ServiceReceived,
		BusinessTime: env.GetSentAt(), HubId: s.deps.HubID, ReceivedAt: at, ForwardedAt: at, AnsweredAt: timestamppb.Now(),
		RequestSize: int64(len(env.GetContent())), RequestHash: digest(env.GetContent()),
	})
}

// errAlreadyReceived: a redelivered document's receipt is stored once.
var errAlreadyReceived = errors.New("documents: already received")

// Close stops the inbox stream; documents delivered and not acknowledged
// are released at once. It may be called more than once.
func (in *Inbox) Close() {
	in.closing.Do(func() {
		in.it.Stop()
		in.mu.Lock()
		defer in.mu.Unlock()
		for seq, h := range in.pending {
			_ = h.m.Nak()
			delete(in.pending, seq)
		}
	})
}
