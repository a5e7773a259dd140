package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nuid"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/hub/documents"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// ServiceEventPublished is the service a refused publication is counted
// under (provider: the publisher); a publication stored is not a
// transaction, its deliveries to subscribers are.
const ServiceEventPublished = "event-published"

// admitPublish applies to an event publication the publisher's rate limit
// and daily quota, as admit does to an exchange.
func (h *Hub) admitPublish(ctx context.Context, publisher string, req *hubv1.PublishRequest) error {
	if err := wire.ValidateAgencyCode(publisher); err != nil {
		return field.Wrap("publisher", err)
	}
	return h.refusedAsync(publisher, publisher, ServiceEventPublished, len(req.GetPayload().GetValue()), h.takeLimits(ctx, publisher))
}

// admitDocument applies to a document its sender's rate limit and daily
// quota (unless relayed: the "document-send" exchange the axis forwards
// took them), then the grants: each recipient must have granted
// "documents" (documents.GrantService) to the sender or its group. A
// refusal is recorded, as an exchange's is.
func (h *Hub) admitDocument(ctx context.Context, sender string, env *hubv1.DocumentEnvelope, relayed bool) error {
	if err := documents.Check(asSentBy(env, sender)); err != nil {
		return err
	}
	size := len(env.GetContent())
	if !relayed {
		if err := h.takeLimits(ctx, sender); err != nil {
			return h.refusedAsync(sender, h.docs.Axis(), documents.ServiceSent, size, err)
		}
	}
	if !h.cfg.Security.EnforceGrants {
		return nil
	}
	kind := h.kindOf(ctx, sender)
	for i, r := range env.GetRecipients() {
		if err := h.access.Check(sender, kind, r, documents.GrantService); err != nil {
			err = fmt.Errorf("envelope.recipients[%d]: %w", i, err)
			return h.refusedAsync(sender, h.docs.Axis(), documents.ServiceSent, size, err)
		}
	}
	return nil
}

// asSentBy is env as sent by sender, for checking (env is not changed).
func asSentBy(env *hubv1.DocumentEnvelope, sender string) *hubv1.DocumentEnvelope {
	return &hubv1.DocumentEnvelope{
		DocumentId: env.GetDocumentId(), Sender: sender, Recipients: env.GetRecipients(), DocumentNumber: env.GetDocumentNumber(),
		DocumentType: env.GetDocumentType(), Subject: env.GetSubject(), Attachments: env.GetAttachments(), Content: env.GetContent(),
	}
}

// takeLimits takes one from consumer's rate limit and daily quota.
func (h *Hub) takeLimits(ctx context.Context, consumer string) error {
	if err := h.limits.allow(consumer, time.Now()); err != nil {
		return err
	}
	return h.quota.take(ctx, consumer, time.Now())
}

// kindOf is the group consumer belongs to for the grants: its
// certificate's kind when it is the caller, else its registration's.
func (h *Hub) kindOf(ctx context.Context, consumer string) hubv1.AgencyKind {
	if id, ok := auth.FromContext(ctx); ok && id.Role == auth.RoleAgency && id.Agency == consumer {
		return id.Kind
	}
	if h.reg.KnownAgency(consumer) {
		a, _ := h.reg.Get(consumer)
		return a.GetKind()
	}
	return hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED
}

// refusedAsync accounts for a publication or a document refused before it
// was stored, as settle does for an exchange: a refusal by the limits in
// aggregate, another one record. It returns err.
func (h *Hub) refusedAsync(consumer, provider, service string, size int, err error) error {
	if err == nil {
		return nil
	}
	now := timestamppb.Now()
	tx := &hubv1.TransactionRecord{
		MessageId: "refused-" + nuid.Next(), Consumer: consumer, Provider: provider, Service: service,
		BusinessTime: now, ReceivedAt: now, AnsweredAt: now, HubId: h.cfg.ID,
		Code: int32(codeOf(err)), Error: message(err), RequestSize: int64(size),
	}
	sanitize(tx)
	if aggregated(err) {
		h.refused.add(tx)
		return err
	}
	if rerr := h.record(tx); rerr != nil {
		h.log.Warn("refusal not recorded", zap.String("consumer", consumer), zap.String("service", service), zap.Error(rerr))
	}
	return err
}
