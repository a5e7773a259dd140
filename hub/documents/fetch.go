package documents

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// MaxPeek caps the documents Peek returns at once.
const MaxPeek = 100

// Peek returns up to limit of recipient's documents from sequence from on,
// oldest first, without taking them: a client without a stream (the REST
// ingress) lists its inbox, then takes each document with Take. A
// document peeked and not taken stays in the inbox.
func (s *Service) Peek(ctx context.Context, recipient string, from uint64, limit int) ([]*hubv1.ReceivedDocument, error) {
	if err := wire.ValidateAgencyCode(recipient); err != nil {
		return nil, field.Wrap("recipient", err)
	}
	if limit < 1 || limit > MaxPeek {
		return nil, field.Errorf("max", "is %d; want 1 to %d", limit, MaxPeek)
	}
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	var out []*hubv1.ReceivedDocument
	for seq := max(from, 1); len(out) < limit; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(wire.DocumentInbox(recipient)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, errors.Join(ErrNotStored, err)
		}
		env := &hubv1.DocumentEnvelope{}
		if err := proto.Unmarshal(m.Data, env); err == nil {
			out = append(out, &hubv1.ReceivedDocument{Envelope: env, Sequence: m.Sequence, Delivery: 1})
		}
		seq = m.Sequence + 1
	}
	return out, nil
}

// Take records recipient's document at sequence received (its
// transaction and the receipt RECEIVED) and removes it from the inbox, as
// an acknowledgement on a stream does. A document taken already is
// ErrNotPending.
func (s *Service) Take(ctx context.Context, recipient string, sequence uint64) (*hubv1.DocumentEnvelope, error) {
	if err := wire.ValidateAgencyCode(recipient); err != nil {
		return nil, field.Wrap("recipient", err)
	}
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	m, err := st.GetMsg(ctx, sequence)
	if errors.Is(err, jetstream.ErrMsgNotFound) || (err == nil && !strings.HasPrefix(m.Subject, strings.TrimSuffix(wire.DocumentInbox(recipient), ">"))) {
		return nil, fmt.Errorf("%w: no document at sequence %d in %s's inbox", ErrNotPending, sequence, recipient)
	}
	if err != nil {
		return nil, errors.Join(ErrNotStored, err)
	}
	env := &hubv1.DocumentEnvelope{}
	if err := proto.Unmarshal(m.Data, env); err != nil {
		return nil, fmt.Errorf("documents: undecodable document: %w", err)
	}
	if err := s.received(ctx, recipient, env, timestamppb.Now()); err != nil {
		return nil, err
	}
	if err := st.DeleteMsg(ctx, sequence); err != nil && !errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
		return nil, errors.Join(ErrNotStored, err)
	}
	return env, nil
}
