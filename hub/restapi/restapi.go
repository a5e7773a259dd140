// Package restapi is the hub's REST ingress: agency systems that speak
// HTTP and JSON (Java, .NET, PHP, Python behind the provincial platforms)
// make exchanges without gRPC or protobuf. A request's JSON body is the
// service's request message in protobuf JSON form, typed from the
// registry; the answer is the provider's response message as JSON.
//
// It is an edge, like the gRPC services: every exchange goes through the
// hub's one core (hub.Hub.Exchange, Send, GetDelivery), so it passes the
// same checks and is recorded, counted and audited the same way.
//
//	POST /r1/{provider}/{service}       an exchange (synchronous)
//	POST /r1/send/{provider}/{service}  an asynchronous send (202 Accepted)
//	GET  /r1/deliveries/{id}            a send's delivery state
//	GET  /r1/allowed                    the services the caller may call
//	GET  /r1/openapi.json               OpenAPI 3.1 of every registered service
//
// and the events and documents (see async.go): POST /r1/events/{type},
// POST /r1/documents, GET /r1/documents/inbox, ...
package restapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DefaultMaxBody is the largest request body read, in bytes: JSON is
// larger than the protobuf payload the hub then limits (hub MaxPayload).
const DefaultMaxBody = 16 << 20

// Core is what the ingress needs of the hub (*hub.Hub is one): the shared
// exchange path and the registry.
type Core interface {
	Exchange(ctx context.Context, req *hubv1.ExchangeRequest) (*hubv1.ExchangeResponse, error)
	Refuse(ctx context.Context, req *hubv1.ExchangeRequest, err error) error
	Send(ctx context.Context, req *hubv1.SendRequest) (*hubv1.SendResponse, error)
	GetDelivery(ctx context.Context, req *hubv1.GetDeliveryRequest) (*hubv1.Delivery, error)
	Allowed(ctx context.Context, consumer string) ([]*hubv1.AllowedService, error)
	Service(provider, service string) (*hubv1.Service, error)
	Agencies() []*hubv1.Agency

	Publish(ctx context.Context, req *hubv1.PublishRequest) (*hubv1.PublishResponse, error)
	EventPayloadType(eventType string) (string, error)
	FetchEvents(ctx context.Context, subscriber, eventType string, max int, wait time.Duration) ([]events.Fetched, error)
	AckEvent(ctx context.Context, subscriber, eventType, token string) (*hubv1.Event, error)
	SendDocument(ctx context.Context, req *hubv1.SendDocumentRequest) (*hubv1.SendDocumentResponse, error)
	GetDocument(ctx context.Context, req *hubv1.GetDocumentRequest) (*hubv1.GetDocumentResponse, error)
	SendReceipt(ctx context.Context, req *hubv1.SendReceiptRequest) (*hubv1.SendReceiptResponse, error)
	Inbox(ctx context.Context, recipient string, from uint64, limit int) ([]*hubv1.ReceivedDocument, error)
	TakeDocument(ctx context.Context, recipient string, sequence uint64) (*hubv1.DocumentEnvelope, error)
}

// Config configures the ingress. The zero value of each field means its
// default.
type Config struct {
	// RequireIdentity refuses exchanges without a verified client
	// certificate (the server's TLS configuration must verify them, see
	// pki.ServerTLS); the consumer is then the certificate's agency. The
	// catalogue (/r1/openapi.json) stays public.
	RequireIdentity bool
	// MaxBody is the largest request body read (default DefaultMaxBody).
	MaxBody int64
	// Types resolves the registry's message names (default
	// protoregistry.GlobalTypes, where the simulators' types are).
	Types *protoregistry.Types
	// ServerURL is the address the catalogue names as its server, e.g.
	// "https://127.0.0.1:8443" (default: from each request's Host).
	ServerURL string
}

// API serves the REST ingress. It is safe for concurrent use.
type API struct {
	core Core
	cfg  Config
	log  *zap.Logger
	mux  *http.ServeMux

	metrics *metrics
}

// New returns the ingress over core; log gets its failures (never one
// line per exchange).
func New(core Core, cfg Config, log *zap.Logger) *API {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Types == nil {
		cfg.Types = protoregistry.GlobalTypes
	}
	a := &API{core: core, cfg: cfg, log: log, mux: http.NewServeMux(), metrics: newMetrics()}
	a.handle("POST /r1/send/{provider}/{service}", a.identified(a.serveSend))
	a.handle("GET /r1/deliveries/{id}", a.identified(a.serveDelivery))
	a.handle("GET /r1/allowed", a.identified(a.serveAllowed))
	a.handle("GET /r1/openapi.json", a.serveOpenAPI)
	a.routeAsync()
	a.handle("POST /r1/{provider}/{service}", a.identified(a.serveExchange))
	a.handle("/r1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound(r))
	})
	return a
}

// ServeHTTP implements http.Handler. A panic in a handler is logged and
// answered 500, never a dropped connection.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { //nolint:errorlint // the sentinel itself
				panic(p)
			}
			a.log.Error("panic in REST handler", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			writeError(w, &Error{Status: http.StatusInternalServerError, Code: "INTERNAL", Message: "hub: internal error"})
		}
	}()
	a.mux.ServeHTTP(w, r)
}

// identified puts the caller's certificate identity in the request's
// context, and refuses a caller without one when identities are required.
func (a *API) identified(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
			id, err := auth.FromCertificate(r.TLS.VerifiedChains[0][0])
			if err != nil {
				writeError(w, unauthenticated(err.Error()))
				return
			}
			r = r.WithContext(auth.NewContext(r.Context(), id))
		} else if a.cfg.RequireIdentity {
			writeError(w, unauthenticated("auth: a client certificate is required (curl: --cacert ca.crt --cert <agency>.crt --key <agency>.key)"))
			return
		}
		next(w, r)
	}
}

// exchangeRequest builds the exchange of r: the path names provider and
// service, the headers the metadata.
func exchangeRequest(r *http.Request) *hubv1.ExchangeRequest {
	return &hubv1.ExchangeRequest{
		MessageId: r.Header.Get(wire.HTTPHeaderMessageID), Consumer: r.Header.Get(wire.HeaderConsumer),
		Provider: r.PathValue("provider"), Service: r.PathValue("service"),
		Purpose: r.Header.Get(wire.HeaderPurpose), UserId: r.Header.Get(wire.HeaderUserID),
	}
}

func (a *API) serveExchange(w http.ResponseWriter, r *http.Request) {
	req := exchangeRequest(r)
	echoID(w, req)
	ctx, cancel, err := timeout(r)
	if err == nil {
		req.BusinessTime, err = businessTime(r)
	}
	if err != nil {
		writeError(w, fromHub(a.core.Refuse(r.Context(), req, err)))
		return
	}
	defer cancel()
	if err := a.payload(w, r, req); err != nil {
		writeError(w, fromHub(a.core.Refuse(ctx, req, err)))
		return
	}
	resp, err := a.core.Exchange(ctx, req)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	body, typ := a.answer(resp.GetPayload())
	h := w.Header()
	h.Set(wire.HTTPHeaderMessageID, resp.GetMessageId())
	h.Set(wire.HTTPHeaderBusinessDay, resp.GetBusinessDay())
	h.Set(wire.HTTPHeaderResponseType, typ)
	writeJSON(w, http.StatusOK, body)
}

func (a *API) serveSend(w http.ResponseWriter, r *http.Request) {
	req := exchangeRequest(r)
	echoID(w, req)
	if err := a.payload(w, r, req); err != nil {
		writeError(w, fromHub(a.core.Refuse(r.Context(), req, err)))
		return
	}
	bt, err := businessTime(r)
	if err != nil {
		writeError(w, fromHub(a.core.Refuse(r.Context(), req, err)))
		return
	}
	resp, err := a.core.Send(r.Context(), &hubv1.SendRequest{
		MessageId: req.MessageId, Consumer: req.Consumer, Provider: req.Provider, Service: req.Service,
		Payload: req.Payload, Purpose: req.Purpose, UserId: req.UserId, BusinessTime: bt,
	})
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	w.Header().Set(wire.HTTPHeaderMessageID, resp.GetMessageId())
	w.Header().Set("Location", "/r1/deliveries/"+resp.GetMessageId())
	writeJSON(w, http.StatusAccepted, a.marshal(resp))
}

func (a *API) serveDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := a.core.GetDelivery(r.Context(), &hubv1.GetDeliveryRequest{
		MessageId: r.PathValue("id"), Consumer: r.Header.Get(wire.HeaderConsumer),
	})
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	writeJSON(w, http.StatusOK, a.marshal(d))
}

func (a *API) serveAllowed(w http.ResponseWriter, r *http.Request) {
	consumer := r.Header.Get(wire.HeaderConsumer)
	if c := r.URL.Query().Get("consumer"); c != "" {
		consumer = c
	}
	svcs, err := a.core.Allowed(r.Context(), consumer)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	writeJSON(w, http.StatusOK, a.marshal(&hubv1.ListAllowedResponse{Services: svcs}))
}

// echoID answers with the caller's message id, errors included, so that
// a refused request can be found in the records.
func echoID(w http.ResponseWriter, req *hubv1.ExchangeRequest) {
	if id := req.GetMessageId(); id != "" {
		w.Header().Set(wire.HTTPHeaderMessageID, id)
	}
}

// businessTime is the Ndxp-Business-Time header: the operator's load
// replays count an exchange on a day of their choosing (an agency's are
// counted when the hub receives them; the core refuses otherwise).
func businessTime(r *http.Request) (*timestamppb.Timestamp, error) {
	v := r.Header.Get(wire.HeaderBusinessTime)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, field.Errorf(wire.HeaderBusinessTime, "%q is not an RFC 3339 time such as 2023-05-20T10:05:00+07:00", v)
	}
	return timestamppb.New(t), nil
}

// timeout applies the Ndxp-Timeout header to r's context.
func timeout(r *http.Request) (context.Context, context.CancelFunc, error) {
	v := r.Header.Get(wire.HTTPHeaderTimeout)
	if v == "" {
		return r.Context(), func() {}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return nil, nil, field.Errorf(wire.HTTPHeaderTimeout, "%q is not a positive duration such as 5s or 1500ms", v)
	}
	ctx, cancel := context.WithTimeout(r.Context(), d)
	return ctx, cancel, nil
}

// payload reads r's JSON body as the request message of the service req
// names, into req.Payload. A service the registry does not know leaves
// the payload empty: the core refuses the exchange (NOT_FOUND) and
// records it as it does for gRPC.
func (a *API) payload(w http.ResponseWriter, r *http.Request, req *hubv1.ExchangeRequest) error {
	svc, err := a.core.Service(req.GetProvider(), req.GetService())
	if err != nil {
		return nil
	}
	mt, err := a.cfg.Types.FindMessageByName(protoreflect.FullName(svc.GetRequestType()))
	if err != nil {
		return field.Errorf("body", "the hub does not know %s/%s's request type %q, so it cannot read JSON for it: call it over gRPC with a binary payload",
			req.GetProvider(), req.GetService(), svc.GetRequestType())
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: the request body exceeds %d bytes", hub.ErrPayloadTooLarge, tooBig.Limit)
		}
		return field.Errorf("body", "could not be read: %v", err)
	}
	m := mt.New().Interface()
	if len(body) > 0 {
		if err := (protojson.UnmarshalOptions{Resolver: a.cfg.Types}).Unmarshal(body, m); err != nil {
			return field.Errorf("body", "is not a %s in protobuf JSON form: %v", svc.GetRequestType(), err)
		}
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return field.Errorf("body", "%v", err)
	}
	req.Payload = &anypb.Any{TypeUrl: wire.TypeURLPrefix + svc.GetRequestType(), Value: b}
	return nil
}

// answer is the provider's payload as JSON and its type's name. A type
// the hub does not know is answered as {"@type", "value" (base64)}.
func (a *API) answer(p *anypb.Any) ([]byte, string) {
	name := string(p.MessageName())
	mt, err := a.cfg.Types.FindMessageByURL(p.GetTypeUrl())
	if err == nil {
		m := mt.New().Interface()
		if err := proto.Unmarshal(p.GetValue(), m); err == nil {
			if b, err := a.jsonOptions().Marshal(m); err == nil {
				return b, name
			}
		}
	}
	return opaque(p), name
}

func (a *API) jsonOptions() protojson.MarshalOptions {
	return protojson.MarshalOptions{Resolver: a.cfg.Types, EmitUnpopulated: false}
}

// marshal is m, one of the hub's messages, as protobuf JSON. A delivery
// whose answer is of a type the hub does not know is shown without it.
func (a *API) marshal(m proto.Message) []byte {
	b, err := a.jsonOptions().Marshal(m)
	if d, ok := m.(*hubv1.Delivery); ok && err != nil {
		d = proto.CloneOf(d)
		d.Payload = nil
		b, err = a.jsonOptions().Marshal(d)
	}
	if err != nil {
		b = []byte(`{}`)
	}
	return b
}

// opaque is a payload of an unknown type as JSON: its type URL and its
// bytes in base64.
func opaque(p *anypb.Any) []byte {
	b, _ := json.Marshal(map[string]any{"@type": p.GetTypeUrl(), "value": p.GetValue()})
	return b
}
