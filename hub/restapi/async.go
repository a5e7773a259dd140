package restapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/hub/documents"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// The asynchronous flows over REST: events and the document axis, through
// the same core functions as their gRPC services (hub.Hub.Publish,
// SendDocument, ...).
//
//	POST /r1/events/{type}                            publish an event (body: its payload)
//	POST /r1/events/{type}/fetch?max=&wait=           take the caller's waiting events, each with an ack token
//	POST /r1/events/{type}/ack                        acknowledge one (body: {"ack": token}): recorded delivered
//	POST /r1/documents                                send a document (body: its envelope)
//	GET  /r1/documents/inbox?from=&max=               list the caller's inbox
//	POST /r1/documents/inbox/{sequence}/ack           take one (receipt RECEIVED)
//	GET  /r1/documents/{sender}/{id}                  a document's envelope and receipts
//	POST /r1/documents/{sender}/{id}/receipts         report PROCESSING, DONE or REJECTED

// HTTPHeaderOccurredAt is when a published event happened (RFC 3339;
// default: when the hub receives it).
const HTTPHeaderOccurredAt = "Ndxp-Occurred-At"

// DefaultInboxMax is how many documents GET /r1/documents/inbox lists
// without ?max.
const DefaultInboxMax = 10

func (a *API) routeAsync() {
	a.handle("POST /r1/events/{type}", a.identified(a.servePublish))
	a.handle("POST /r1/events/{type}/fetch", a.identified(a.serveFetchEvents))
	a.handle("POST /r1/events/{type}/ack", a.identified(a.serveAckEvent))
	a.handle("POST /r1/documents", a.identified(a.serveSendDocument))
	a.handle("GET /r1/documents/inbox", a.identified(a.serveInbox))
	a.handle("POST /r1/documents/inbox/{sequence}/ack", a.identified(a.serveTake))
	a.handle("GET /r1/documents/{sender}/{id}", a.identified(a.serveGetDocument))
	a.handle("POST /r1/documents/{sender}/{id}/receipts", a.identified(a.serveReceipt))
}

// body reads r's JSON body into m (an empty body leaves m empty).
func (a *API) body(w http.ResponseWriter, r *http.Request, m proto.Message) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: the request body exceeds %d bytes", hub.ErrPayloadTooLarge, tooBig.Limit)
		}
		return field.Errorf("body", "could not be read: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := (protojson.UnmarshalOptions{Resolver: a.cfg.Types}).Unmarshal(b, m); err != nil {
		return field.Errorf("body", "is not a %s in protobuf JSON form: %v", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}

func (a *API) servePublish(w http.ResponseWriter, r *http.Request) {
	req := &hubv1.PublishRequest{Publisher: r.Header.Get(wire.HeaderConsumer), Type: r.PathValue("type"), EventId: r.Header.Get(wire.HTTPHeaderMessageID)}
	if err := a.eventPayload(w, r, req); err != nil {
		writeError(w, fromHub(err))
		return
	}
	resp, err := a.core.Publish(r.Context(), req)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	writeJSON(w, http.StatusCreated, a.marshal(resp))
}

// DefaultFetchMax is how many events POST /r1/events/{type}/fetch hands
// out without ?max.
const DefaultFetchMax = 10

func (a *API) serveFetchEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := uintParam(q.Get("max"), "max", DefaultFetchMax)
	if err == nil && limit > events.MaxFetch {
		err = field.Errorf("max", "is %d; want 1 to %d", limit, events.MaxFetch)
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" && err == nil {
		if wait, err = time.ParseDuration(v); err != nil {
			err = field.Errorf("wait", "%q is not a duration such as 5s", v)
		}
	}
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	got, err := a.core.FetchEvents(r.Context(), r.Header.Get(wire.HeaderConsumer), r.PathValue("type"), int(limit), wait)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for i, f := range got {
		if i > 0 {
			b.WriteByte(',')
		}
		ack, _ := json.Marshal(f.Ack)
		b.WriteString(`{"event":`)
		b.Write(a.marshal(f.Event))
		b.WriteString(`,"ack":`)
		b.Write(ack)
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	writeJSON(w, http.StatusOK, b.Bytes())
}

func (a *API) serveAckEvent(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Ack string `json:"ack"`
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	if err == nil {
		err = json.Unmarshal(b, &body)
	}
	if err != nil || body.Ack == "" {
		writeError(w, fromHub(field.Errorf("ack", `is required: send {"ack": "<the ack of an event from POST /r1/events/{type}/fetch>"}`)))
		return
	}
	ev, err := a.core.AckEvent(r.Context(), r.Header.Get(wire.HeaderConsumer), r.PathValue("type"), body.Ack)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	ev.Payload = nil
	writeJSON(w, http.StatusOK, a.marshal(ev))
}

// eventPayload reads r's body as the payload of req's event type, and the
// time it occurred.
func (a *API) eventPayload(w http.ResponseWriter, r *http.Request, req *hubv1.PublishRequest) error {
	if v := r.Header.Get(HTTPHeaderOccurredAt); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return field.Errorf(HTTPHeaderOccurredAt, "%q is not an RFC 3339 time such as 2024-05-20T10:05:00+07:00", v)
		}
		req.OccurredAt = timestamppb.New(t)
	}
	name, err := a.core.EventPayloadType(req.GetType())
	if err != nil {
		return err
	}
	mt, err := a.cfg.Types.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return field.Errorf("body", "the hub does not know event type %s's payload %q, so it cannot read JSON for it: publish over gRPC", req.GetType(), name)
	}
	m := mt.New().Interface()
	if err := a.body(w, r, m); err != nil {
		return err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return field.Errorf("body", "%v", err)
	}
	req.Payload = &anypb.Any{TypeUrl: wire.TypeURLPrefix + name, Value: b}
	return nil
}

func (a *API) serveSendDocument(w http.ResponseWriter, r *http.Request) {
	env := &hubv1.DocumentEnvelope{}
	if err := a.body(w, r, env); err != nil {
		writeError(w, fromHub(err))
		return
	}
	if env.Sender == "" {
		env.Sender = r.Header.Get(wire.HeaderConsumer)
	}
	resp, err := a.core.SendDocument(r.Context(), &hubv1.SendDocumentRequest{Envelope: env})
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	sender := env.GetSender()
	if id, ok := auth.FromContext(r.Context()); ok && id.Role == auth.RoleAgency {
		sender = id.Agency
	}
	w.Header().Set("Location", "/r1/documents/"+sender+"/"+resp.GetDocumentId())
	writeJSON(w, http.StatusCreated, a.marshal(resp))
}

func (a *API) serveInbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := uintParam(q.Get("from"), "from", 1)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	limit, err := uintParam(q.Get("max"), "max", DefaultInboxMax)
	if err == nil && limit > documents.MaxPeek {
		err = field.Errorf("max", "is %d; want 1 to %d", limit, documents.MaxPeek)
	}
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	docs, err := a.core.Inbox(r.Context(), r.Header.Get(wire.HeaderConsumer), from, int(limit))
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"documents":[`)
	for i, d := range docs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(a.marshal(d))
	}
	b.WriteString(`]}`)
	writeJSON(w, http.StatusOK, b.Bytes())
}

// uintParam is a positive query parameter, def when absent.
func uintParam(v, name string, def uint64) (uint64, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return def, field.Errorf(name, "%q is not a positive integer", v)
	}
	return n, nil
}

func (a *API) serveTake(w http.ResponseWriter, r *http.Request) {
	seq, err := uintParam(r.PathValue("sequence"), "sequence", 0)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	env, err := a.core.TakeDocument(r.Context(), r.Header.Get(wire.HeaderConsumer), seq)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	env.Content = nil
	writeJSON(w, http.StatusOK, a.marshal(env))
}

func (a *API) serveGetDocument(w http.ResponseWriter, r *http.Request) {
	resp, err := a.core.GetDocument(r.Context(), &hubv1.GetDocumentRequest{
		Sender: r.PathValue("sender"), DocumentId: r.PathValue("id"), Caller: r.Header.Get(wire.HeaderConsumer),
	})
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	writeJSON(w, http.StatusOK, a.marshal(resp))
}

func (a *API) serveReceipt(w http.ResponseWriter, r *http.Request) {
	req := &hubv1.SendReceiptRequest{}
	if err := a.body(w, r, req); err != nil {
		writeError(w, fromHub(err))
		return
	}
	req.Sender, req.DocumentId = r.PathValue("sender"), r.PathValue("id")
	if req.Recipient == "" {
		req.Recipient = r.Header.Get(wire.HeaderConsumer)
	}
	resp, err := a.core.SendReceipt(r.Context(), req)
	if err != nil {
		writeError(w, fromHub(err))
		return
	}
	writeJSON(w, http.StatusOK, a.marshal(resp))
}
