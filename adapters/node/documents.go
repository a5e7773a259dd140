package node

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DocumentHandler takes one document of the node's inbox (see
// OnDocument). Returning nil acknowledges it: the hub records it received
// and the sender sees the receipt RECEIVED; an error leaves it in the
// inbox, to come again. Later receipts (PROCESSING, DONE, REJECTED) are
// sent with Client.SendReceipt.
type DocumentHandler func(ctx context.Context, doc *hubv1.ReceivedDocument) error

// OnDocument makes the node the agency's document system: from Start
// until Stop, the documents sent to the agency are fetched from its inbox
// on the hub and handed to h, one at a time, oldest first; the stream is
// reopened with backoff when it ends. Like Handle, it must be called
// before Start; a node started without a hub does not fetch.
func (n *Node) OnDocument(h DocumentHandler) {
	n.events = append(n.events, eventSub{typ: inboxSub, doc: h})
}

// inboxSub marks the inbox among the node's subscriptions.
const inboxSub = ""

// receiveOnce runs one inbox stream until it ends; got reports whether it
// delivered anything.
func (n *Node) receiveOnce(ctx context.Context, h DocumentHandler) (got bool, err error) {
	stream, err := hubv1.NewDocumentServiceClient(n.hubConn).ReceiveDocuments(ctx)
	if err != nil {
		return false, err
	}
	open := &hubv1.ReceiveOpen{Recipient: n.cfg.Agency.GetCode()}
	if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Open{Open: open}}); err != nil {
		return false, err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return got, err
		}
		got = true
		doc := resp.GetDocument()
		if err := h(ctx, doc); err != nil {
			n.log.Debug("document not taken", zap.String("document_id", doc.GetEnvelope().GetDocumentId()), zap.Error(err))
			return got, fmt.Errorf("document %s of %s not taken: %w", doc.GetEnvelope().GetDocumentId(), doc.GetEnvelope().GetSender(), err)
		}
		ack := &hubv1.DocumentAck{Sequence: doc.GetSequence()}
		if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Ack{Ack: ack}}); err != nil {
			return got, err
		}
	}
}

// SendDocument sends env as the client's agency to env.Recipients and
// returns once the hub stored it in every inbox.
func (c *Client) SendDocument(ctx context.Context, env *hubv1.DocumentEnvelope) error {
	env.Sender = c.consumer
	if _, err := hubv1.NewDocumentServiceClient(c.conn).SendDocument(ctx, &hubv1.SendDocumentRequest{Envelope: env}); err != nil {
		return asError(err, c.consumer, "document "+env.GetDocumentId())
	}
	return nil
}

// ErrNoExchange is returned by ForwardDocument outside a handler serving
// an exchange with the hub's context token.
var ErrNoExchange = errors.New("node: forward a document from a handler serving an exchange (no context token)")

// ForwardDocument stores env in its recipients' inboxes for the consumer
// of the exchange ctx's handler is serving (env.Sender), as the document
// exchange axis does with a "document-send": the hub checks the exchange's
// context token, so the recipients and receipts see the consumer as the
// sender. It returns whether the document id was already stored.
func (c *Client) ForwardDocument(ctx context.Context, env *hubv1.DocumentEnvelope) (duplicate bool, err error) {
	p, ok := ctx.Value(parentKey{}).(parent)
	if !ok {
		return false, ErrNoExchange
	}
	resp, err := hubv1.NewDocumentServiceClient(c.conn).SendDocument(ctx, &hubv1.SendDocumentRequest{Envelope: env, ContextToken: p.token})
	if err != nil {
		return false, asError(err, env.GetSender(), "document "+env.GetDocumentId())
	}
	return resp.GetDuplicate(), nil
}

// SendReceipt reports, as the client's agency, what it did with sender's
// document id: PROCESSING, DONE or REJECTED (with a reason).
func (c *Client) SendReceipt(ctx context.Context, sender, id string, st hubv1.ReceiptStatus, reason string) error {
	_, err := hubv1.NewDocumentServiceClient(c.conn).SendReceipt(ctx, &hubv1.SendReceiptRequest{
		Sender: sender, DocumentId: id, Recipient: c.consumer, Status: st, Reason: reason,
	})
	if err != nil {
		return asError(err, c.consumer, "receipt of "+id)
	}
	return nil
}
