// Package documents is the hub's document exchange axis: store and
// forward between agencies' document systems, with receipts. SendDocument
// puts a document in the durable inbox of each recipient (a JetStream
// work-queue stream, one subject per recipient and sender); each
// recipient's document system fetches its inbox through its own durable
// consumer and acknowledges each document (receipt RECEIVED), then reports
// PROCESSING, DONE or REJECTED. A key-value bucket keeps each document's
// envelope and receipts for its sender. Sends, receipts and receptions are
// recorded as transactions.
package documents

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Services the axis's transactions are counted under.
const (
	ServiceSent     = "document-sent"
	ServiceReceived = "document-received"
	ServiceReceipt  = "document-receipt"
)

// Limits of an envelope.
const (
	MaxDocumentID = 80
	MaxRecipients = 100
	MaxContent    = 1 << 20
	MaxText       = 1000
)

// Errors of the document path.
var (
	// ErrNotStored: JetStream did not store the document or its state.
	ErrNotStored = errors.New("documents: not stored; send again with the same document_id")
	// ErrUnknown: no such document for this caller.
	ErrUnknown = errors.New("documents: unknown document")
	// ErrReceipt: the receipt does not follow from the document's state.
	ErrReceipt = errors.New("documents: receipt out of order")
	// ErrNotPending: an ack names a document not waiting for one.
	ErrNotPending = errors.New("documents: no such document is waiting for this acknowledgement")
)

// Recorder stores a transaction record and waits until it is stored; a
// record of a consumer and message id already stored is stored once.
type Recorder interface {
	Record(tx *hubv1.TransactionRecord) error
}

// Deps are what the document path uses of the hub.
type Deps struct {
	Recorder Recorder
	HubID    string
}

// Service is safe for concurrent use.
type Service struct {
	cfg  Config
	deps Deps
	log  *zap.Logger
	js   jetstream.JetStream
	kv   jetstream.KeyValue
}

// Open creates or updates the inbox stream and the state bucket.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, deps Deps, log *zap.Logger) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: cfg.Stream, Description: "ndxp document inboxes (the document exchange axis)",
		Subjects: []string{wire.DocumentPrefix + ".>"}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		Replicas: cfg.Replicas, MaxBytes: cfg.MaxBytes, MaxAge: cfg.MaxAge, Duplicates: cfg.Duplicates, Discard: jetstream.DiscardNew,
	}); err != nil {
		return nil, fmt.Errorf("documents: open stream %s: %w", cfg.Stream, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: cfg.Bucket, Description: "ndxp documents: envelopes and receipts",
		TTL: cfg.Keep, MaxBytes: cfg.StateMaxBytes, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("documents: open bucket %s: %w", cfg.Bucket, err)
	}
	return &Service{cfg: cfg, deps: deps, log: log, js: js, kv: kv}, nil
}

// Axis is the agency code of the document exchange axis.
func (s *Service) Axis() string { return s.cfg.Axis }

// Send stores env, sent by sender (its identity checked by the hub), in
// each recipient's inbox, and records it sent.
func (s *Service) Send(ctx context.Context, sender string, env *hubv1.DocumentEnvelope) (*hubv1.SendDocumentResponse, error) {
	return s.send(ctx, sender, env, true)
}

// Relay is Send of a document the axis forwards for sender (a
// "document-send" exchange): that exchange is the transaction of sending,
// so no "document-sent" is recorded.
func (s *Service) Relay(ctx context.Context, sender string, env *hubv1.DocumentEnvelope) (*hubv1.SendDocumentResponse, error) {
	return s.send(ctx, sender, env, false)
}

func (s *Service) send(ctx context.Context, sender string, env *hubv1.DocumentEnvelope, record bool) (*hubv1.SendDocumentResponse, error) {
	env = proto.CloneOf(env)
	env.Sender = sender
	if err := Check(env); err != nil {
		return nil, err
	}
	env.SentAt = timestamppb.Now()
	state := &hubv1.GetDocumentResponse{Envelope: proto.CloneOf(env)}
	state.Envelope.Content = nil
	b, err := proto.Marshal(state)
	if err != nil {
		return nil, err
	}
	key := Key(sender, env.GetDocumentId())
	duplicate := false
	if _, err := s.kv.Create(ctx, key, b); errors.Is(err, jetstream.ErrKeyExists) {
		duplicate = true
		if old, err := s.state(ctx, key); err == nil {
			env.SentAt = old.GetEnvelope().GetSentAt()
		}
	} else if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	data, err := proto.Marshal(env)
	if err != nil {
		return nil, err
	}
	for _, r := range env.GetRecipients() {
		subject, _ := wire.DocumentSubject(r, sender) // checked
		msg := nats.NewMsg(subject)
		msg.Data = data
		if _, err := s.js.PublishMsg(ctx, msg, jetstream.WithMsgID(sender+"|"+env.GetDocumentId()+"|"+r), jetstream.WithExpectStream(s.cfg.Stream)); err != nil {
			return nil, errors.Join(ErrNotStored, err)
		}
	}
	if !record {
		return &hubv1.SendDocumentResponse{DocumentId: env.GetDocumentId(), Duplicate: duplicate}, nil
	}
	now := timestamppb.Now()
	if err := s.deps.Recorder.Record(&hubv1.TransactionRecord{
		MessageId: "doc:" + env.GetDocumentId(), Consumer: sender, Provider: s.cfg.Axis, Service: ServiceSent,
		BusinessTime: env.GetSentAt(), HubId: s.deps.HubID, ReceivedAt: env.GetSentAt(), ForwardedAt: now, AnsweredAt: now,
		RequestSize: int64(len(env.GetContent())), RequestHash: digest(env.GetContent()),
	}); err != nil {
		return nil, err
	}
	return &hubv1.SendDocumentResponse{DocumentId: env.GetDocumentId(), Duplicate: duplicate}, nil
}

// Key is the state bucket's key of sender's document id.
func Key(sender, id string) string {
	return wire.Token(sender) + "." + base64.RawURLEncoding.EncodeToString([]byte(id))
}

// GrantService is the service a recipient grants to the agencies whose
// documents it accepts (deny by default, as for exchanges): "ndxp grants
// add RECIPIENT documents --to SENDER".
const GrantService = "documents"

// Check returns the first malformed field of env, named.
func Check(env *hubv1.DocumentEnvelope) error {
	if err := wire.ValidateAgencyCode(env.GetSender()); err != nil {
		return field.Wrap("envelope.sender", err)
	}
	if err := checkID(env.GetDocumentId()); err != nil {
		return field.Wrap("envelope.document_id", err)
	}
	if n := len(env.GetRecipients()); n == 0 || n > MaxRecipients {
		return field.Errorf("envelope.recipients", "has %d agencies; want 1 to %d", n, MaxRecipients)
	}
	seen := map[string]bool{}
	for i, r := range env.GetRecipients() {
		if err := wire.ValidateAgencyCode(r); err != nil {
			return field.Wrap(fmt.Sprintf("envelope.recipients[%d]", i), err)
		}
		if seen[r] || r == env.GetSender() {
			return field.Errorf(fmt.Sprintf("envelope.recipients[%d]", i), "%s is repeated or the sender", r)
		}
		seen[r] = true
	}
	for name, v := range map[string]string{"envelope.document_number": env.GetDocumentNumber(), "envelope.document_type": env.GetDocumentType(), "envelope.subject": env.GetSubject()} {
		if v == "" || len(v) > MaxText {
			return field.Errorf(name, "is required, at most %d bytes", MaxText)
		}
	}
	if len(env.GetContent()) > MaxContent {
		return field.Errorf("envelope.content", "is %d bytes, at most %d", len(env.GetContent()), MaxContent)
	}
	for i, a := range env.GetAttachments() {
		if a.GetName() == "" || len(a.GetSha256()) != sha256.Size || a.GetSize() < 0 {
			return field.Errorf(fmt.Sprintf("envelope.attachments[%d]", i), "needs a name, a 32-byte sha256 and a size")
		}
	}
	return nil
}

func checkID(id string) error {
	if id == "" || len(id) > MaxDocumentID {
		return fmt.Errorf("is required, at most %d bytes", MaxDocumentID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return fmt.Errorf("has a character at position %d that is not printable ASCII", i)
		}
	}
	return nil
}

// Get returns sender's document id to caller, its sender or a recipient.
func (s *Service) Get(ctx context.Context, caller, sender, id string) (*hubv1.GetDocumentResponse, error) {
	if err := wire.ValidateAgencyCode(sender); err != nil {
		return nil, field.Wrap("sender", err)
	}
	if err := checkID(id); err != nil {
		return nil, field.Wrap("document_id", err)
	}
	st, err := s.state(ctx, Key(sender, id))
	if errors.Is(err, jetstream.ErrKeyNotFound) || (err == nil && !involved(st, caller)) {
		return nil, fmt.Errorf("%w %q of %s for %s", ErrUnknown, id, sender, caller)
	}
	return st, err
}

func involved(st *hubv1.GetDocumentResponse, caller string) bool {
	if caller == st.GetEnvelope().GetSender() {
		return true
	}
	for _, r := range st.GetEnvelope().GetRecipients() {
		if r == caller {
			return true
		}
	}
	return false
}

func (s *Service) state(ctx context.Context, key string) (*hubv1.GetDocumentResponse, error) {
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	st := &hubv1.GetDocumentResponse{}
	return st, proto.Unmarshal(e.Value(), st)
}

// addReceipt appends a receipt of recipient to the document's state
// (compare-and-set, so concurrent recipients do not lose each other's),
// unless allowed refuses it given the recipient's last status.
func (s *Service) addReceipt(ctx context.Context, sender, id string, rc *hubv1.Receipt, allowed func(last hubv1.ReceiptStatus) error) error {
	key := Key(sender, id)
	for range 20 {
		e, err := s.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("%w %q of %s", ErrUnknown, id, sender)
		}
		if err != nil {
			return errors.Join(ErrNotStored, err)
		}
		st := &hubv1.GetDocumentResponse{}
		if err := proto.Unmarshal(e.Value(), st); err != nil {
			return err
		}
		if !involved(st, rc.GetRecipient()) || rc.GetRecipient() == sender {
			return fmt.Errorf("%w %q of %s for %s", ErrUnknown, id, sender, rc.GetRecipient())
		}
		last := hubv1.ReceiptStatus_RECEIPT_STATUS_UNSPECIFIED
		for _, r := range st.GetReceipts() {
			if r.GetRecipient() == rc.GetRecipient() {
				last = r.GetStatus()
			}
		}
		if err := allowed(last); err != nil {
			return err
		}
		st.Receipts = append(st.Receipts, rc)
		b, err := proto.Marshal(st)
		if err != nil {
			return err
		}
		if _, err := s.kv.Update(ctx, key, b, e.Revision()); err == nil {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%w: receipt of %s: too many concurrent updates", ErrNotStored, id)
}

// Receipt stores recipient's report on sender's document and records it.
func (s *Service) Receipt(ctx context.Context, recipient string, req *hubv1.SendReceiptRequest) (*hubv1.Receipt, error) {
	if err := wire.ValidateAgencyCode(req.GetSender()); err != nil {
		return nil, field.Wrap("sender", err)
	}
	if err := checkID(req.GetDocumentId()); err != nil {
		return nil, field.Wrap("document_id", err)
	}
	switch req.GetStatus() {
	case hubv1.ReceiptStatus_RECEIPT_STATUS_PROCESSING, hubv1.ReceiptStatus_RECEIPT_STATUS_DONE:
	case hubv1.ReceiptStatus_RECEIPT_STATUS_REJECTED:
		if req.GetReason() == "" {
			return nil, field.Errorf("reason", "is required for REJECTED: tell the sender why")
		}
	default:
		return nil, field.Errorf("status", "is %s; want PROCESSING, DONE or REJECTED (RECEIVED is the acknowledgement of ReceiveDocuments)", req.GetStatus())
	}
	rc := &hubv1.Receipt{Recipient: recipient, Status: req.GetStatus(), Reason: req.GetReason(), At: timestamppb.Now()}
	err := s.addReceipt(ctx, req.GetSender(), req.GetDocumentId(), rc, func(last hubv1.ReceiptStatus) error {
		switch last {
		case hubv1.ReceiptStatus_RECEIPT_STATUS_UNSPECIFIED:
			return fmt.Errorf("%w: %s has not received %q yet", ErrReceipt, recipient, req.GetDocumentId())
		case hubv1.ReceiptStatus_RECEIPT_STATUS_DONE, hubv1.ReceiptStatus_RECEIPT_STATUS_REJECTED:
			return fmt.Errorf("%w: %s already reported %s for %q", ErrReceipt, recipient, last, req.GetDocumentId())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rc, s.deps.Recorder.Record(&hubv1.TransactionRecord{
		MessageId: fmt.Sprintf("doc:%s:%s:%d", req.GetSender(), req.GetDocumentId(), req.GetStatus()),
		Consumer:  recipient, Provider: req.GetSender(), Service: ServiceReceipt, HubId: s.deps.HubID,
		BusinessTime: rc.GetAt(), ReceivedAt: rc.GetAt(), ForwardedAt: rc.GetAt(), AnsweredAt: timestamppb.Now(),
	})
}

func digest(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	d := sha256.Sum256(b)
	return d[:]
}
