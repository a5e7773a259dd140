package hub

import (
	"context"
	"time"

	"github.com/ndxp/ndxp/hub/callctx"
	"github.com/ndxp/ndxp/hub/documents"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// SendDocument is the core of every ingress (gRPC, REST): the sender, its
// limits and grants, then the inboxes.
func (h *Hub) SendDocument(ctx context.Context, req *hubv1.SendDocumentRequest) (*hubv1.SendDocumentResponse, error) {
	sender, err := h.documentSender(ctx, req)
	if err != nil {
		return nil, err
	}
	relayed := req.GetContextToken() != ""
	if err := h.admitDocument(ctx, sender, req.GetEnvelope(), relayed); err != nil {
		return nil, err
	}
	return onNATS(h, ctx, func(ctx context.Context) (*hubv1.SendDocumentResponse, error) {
		if relayed {
			return h.docs.Relay(ctx, sender, req.GetEnvelope())
		}
		return h.docs.Send(ctx, sender, req.GetEnvelope())
	})
}

// documentSender is the agency a document is sent for: the caller, or,
// with a context token, the consumer of the "document-send" exchange the
// document exchange axis is forwarding (the token proves the axis serves
// that exchange).
func (h *Hub) documentSender(ctx context.Context, req *hubv1.SendDocumentRequest) (string, error) {
	token := req.GetContextToken()
	if token == "" {
		return h.consumer(ctx, req.GetEnvelope().GetSender())
	}
	caller, err := h.consumer(ctx, "")
	if err != nil {
		return "", err
	}
	if caller == "" { // insecure hub or the operator: the token names the caller
		caller = callctx.Provider(token)
	}
	c, err := h.nest.verifier.Verify(token, caller, time.Now())
	switch {
	case err != nil:
		return "", field.Wrap("context_token", err)
	case c.Provider != h.docs.Axis():
		return "", field.Errorf("context_token", "was issued to %s; only the document exchange axis %s forwards documents for another agency", c.Provider, h.docs.Axis())
	case c.Consumer == "":
		return "", field.Errorf("context_token", "names no consumer (issued by an older hub); send the document again")
	}
	if named := req.GetEnvelope().GetSender(); named != "" && named != c.Consumer {
		return "", field.Errorf("envelope.sender", "is %s but exchange %s being forwarded is %s's: leave it empty or set it to %s", named, c.Parent, c.Consumer, c.Consumer)
	}
	return c.Consumer, nil
}

// OpenInbox opens the inbox of open's recipient (the caller's own agency
// when it has a certificate), with at most open's window of documents
// unacknowledged. The caller closes it; Done tells when the hub closes.
func (h *Hub) OpenInbox(ctx context.Context, open *hubv1.ReceiveOpen) (*documents.Inbox, error) {
	recipient, err := h.consumer(ctx, open.GetRecipient())
	if err != nil {
		return nil, err
	}
	return h.docs.Open(ctx, recipient, int(open.GetWindow()))
}
