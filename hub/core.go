package hub

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// The exchange core every edge shares: the gRPC services (hub/grpcapi),
// the HTTP views (hub/httpapi) and the REST ingress (hub/restapi) call
// these, so that an exchange is checked, carried, recorded, counted and
// audited the same way whichever protocol brought it. They return domain
// errors; Code maps them to gRPC codes.

// Exchange carries one exchange and records it, whatever its outcome.
// The caller's identity, if any, is in ctx (auth.NewContext); ctx's
// deadline bounds the exchange (capped by Config.MaxTimeout).
func (h *Hub) Exchange(ctx context.Context, req *hubv1.ExchangeRequest) (*hubv1.ExchangeResponse, error) {
	return h.exchange(ctx, req)
}

// Refuse records req as an exchange an edge refused before it could be
// made, with err (a REST body that is not the service's request message),
// and returns err; or, when the caller may not act as the consumer req
// names, records and returns that refusal instead. It is counted as a
// refused exchange is: on the day the hub received it.
func (h *Hub) Refuse(ctx context.Context, req *hubv1.ExchangeRequest, err error) error {
	tx := h.newRecord(req, time.Now())
	tx.BusinessTime = tx.ReceivedAt
	consumer, cerr := h.consumer(ctx, req.GetConsumer())
	tx.Consumer = consumer
	if cerr != nil {
		err = cerr
	}
	return h.refuseSend(ctx, tx, err)
}

// Send checks req as an exchange and stores it for asynchronous delivery.
func (h *Hub) Send(ctx context.Context, req *hubv1.SendRequest) (*hubv1.SendResponse, error) {
	return h.send(ctx, req)
}

// GetDelivery returns the state of a delivery the caller sent.
func (h *Hub) GetDelivery(ctx context.Context, req *hubv1.GetDeliveryRequest) (*hubv1.Delivery, error) {
	return h.getDelivery(ctx, req)
}

// Service returns the registration of a provider's service, or an error
// wrapping registry.ErrUnknownAgency or registry.ErrUnknownService.
func (h *Hub) Service(provider, service string) (*hubv1.Service, error) {
	return h.reg.Service(provider, service)
}

// Agencies returns every registered agency, sorted by code.
func (h *Hub) Agencies() []*hubv1.Agency {
	return h.reg.List(hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED)
}

// Allowed lists the services the caller may call, as the consumer named
// (the caller's own agency when it has a certificate; the operator and an
// insecure hub name one): every registered service whose provider granted
// it, to it or to its kind. Without enforced grants every service is
// listed. Services of the consumer itself are left out.
func (h *Hub) Allowed(ctx context.Context, named string) ([]*hubv1.AllowedService, error) {
	consumer, err := h.consumer(ctx, named)
	if err != nil {
		return nil, err
	}
	if consumer == "" {
		return nil, field.Errorf("consumer", "is required: name the agency whose allowed services to list")
	}
	kind := hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED
	if id, ok := auth.FromContext(ctx); ok && !id.IsOperator() {
		kind = id.Kind
	} else if a, err := h.reg.Get(consumer); err == nil {
		kind = a.GetKind()
	}
	var out []*hubv1.AllowedService
	for _, a := range h.Agencies() {
		for _, s := range a.GetServices() {
			if a.GetCode() == consumer {
				continue
			}
			if h.cfg.Security.EnforceGrants && h.access.Check(consumer, kind, a.GetCode(), s.GetCode()) != nil {
				continue
			}
			out = append(out, &hubv1.AllowedService{Provider: a.GetCode(), ProviderName: a.GetName(), Service: s})
		}
	}
	return out, nil
}

// Code is the gRPC code an error of the hub maps to (codes.OK for nil,
// codes.Internal for an error that is not the hub's): the one table every
// edge uses (errors.go), and the code the error's record stores.
func Code(err error) codes.Code { return codeOf(err) }

// Message is the text a caller sees for err: a provider's own message
// unchanged, else err's text.
func Message(err error) string { return message(err) }
