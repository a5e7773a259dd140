package hub_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/documents"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func envelope(id string, recipients ...string) *hubv1.DocumentEnvelope {
	pdf := []byte("%PDF-1.7 báo cáo tháng 8")
	sum := sha256.Sum256(pdf)
	return &hubv1.DocumentEnvelope{
		DocumentId: id, Sender: consumer, Recipients: recipients, DocumentNumber: "76/BC-BTTTT", DocumentType: "báo cáo",
		Subject: "Báo cáo tháng 8", Content: []byte("Kính gửi ..."),
		Attachments: []*hubv1.Attachment{{Name: "76-BC-BTTTT.pdf", MediaType: "application/pdf", Sha256: sum[:], Size: int64(len(pdf))}},
	}
}

// receiveDocs takes n documents from recipient's inbox, acknowledging
// each, then closes the stream once the hub applied the acks.
func receiveDocs(t *testing.T, c hubv1.DocumentServiceClient, recipient string, n int) []*hubv1.ReceivedDocument {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stream, err := c.ReceiveDocuments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Open{Open: &hubv1.ReceiveOpen{Recipient: recipient}}}); err != nil {
		t.Fatal(err)
	}
	var out []*hubv1.ReceivedDocument
	for range n {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("%s after %d documents: %v", recipient, len(out), err)
		}
		out = append(out, resp.GetDocument())
		if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Ack{Ack: &hubv1.DocumentAck{Sequence: resp.GetDocument().GetSequence()}}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = stream.CloseSend()
	for {
		if _, err := stream.Recv(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("%s: stream ended with %v", recipient, err)
			}
			return out
		}
	}
}

// TestDocumentsStoreAndForward: a document sent to three agencies whose
// document systems are away lands in each one's inbox; each fetches it
// later, and the sender sees the receipts (received, processing, done,
// rejected with a reason); the axis's sent/received split is counted.
func TestDocumentsStoreAndForward(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	c := hubv1.NewDocumentServiceClient(env.Conn)
	h01, h02, g01 := "000.00.00.H01", "000.00.00.H02", "000.00.01.G01"
	for range 2 { // sent again: stored once
		if _, err := c.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: envelope("cv-76", h01, h02, g01)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []string{h01, h02, g01} {
		docs := receiveDocs(t, c, r, 1)
		got := docs[0].GetEnvelope()
		if got.GetDocumentId() != "cv-76" || got.GetSender() != consumer || string(got.GetContent()) != "Kính gửi ..." || len(got.GetAttachments()) != 1 || got.GetSentAt() == nil {
			t.Fatalf("%s received %v", r, got)
		}
	}
	receipt := func(recipient string, st hubv1.ReceiptStatus, reason string) error {
		_, err := c.SendReceipt(ctxT(t), &hubv1.SendReceiptRequest{Sender: consumer, DocumentId: "cv-76", Recipient: recipient, Status: st, Reason: reason})
		return err
	}
	for _, r := range []struct {
		who    string
		st     hubv1.ReceiptStatus
		reason string
	}{
		{h01, hubv1.ReceiptStatus_RECEIPT_STATUS_PROCESSING, ""},
		{h01, hubv1.ReceiptStatus_RECEIPT_STATUS_DONE, ""},
		{h02, hubv1.ReceiptStatus_RECEIPT_STATUS_REJECTED, "sai thẩm quyền: gửi Sở Nội vụ"},
	} {
		if err := receipt(r.who, r.st, r.reason); err != nil {
			t.Fatalf("%s %s: %v", r.who, r.st, err)
		}
	}
	wantCode(t, receipt(h01, hubv1.ReceiptStatus_RECEIPT_STATUS_PROCESSING, ""), codes.FailedPrecondition) // after DONE
	wantCode(t, receipt(g01, hubv1.ReceiptStatus_RECEIPT_STATUS_REJECTED, ""), codes.InvalidArgument)      // no reason
	wantCode(t, receipt("000.00.00.H05", hubv1.ReceiptStatus_RECEIPT_STATUS_DONE, ""), codes.NotFound)     // not a recipient
	st, err := c.GetDocument(ctxT(t), &hubv1.GetDocumentRequest{Sender: consumer, DocumentId: "cv-76"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range st.GetReceipts() {
		got = append(got, r.GetRecipient()+" "+r.GetStatus().String()+" "+r.GetReason())
	}
	if len(got) != 6 || st.GetEnvelope().GetContent() != nil {
		t.Fatalf("receipts %q (content kept: %v), want 3 received, processing, done, rejected", got, st.GetEnvelope().GetContent() != nil)
	}
	_, err = c.GetDocument(ctxT(t), &hubv1.GetDocumentRequest{Sender: consumer, DocumentId: "cv-76", Caller: "000.00.00.H05"})
	wantCode(t, err, codes.NotFound)
	hubtest.Eventually(t, 30*time.Second, func() error {
		s := todayStats(t, env)
		by := map[string]int64{}
		for _, r := range s.GetRows() {
			by[r.GetService()] += r.GetCount()
		}
		if by[documents.ServiceSent] != 1 || by[documents.ServiceReceived] != 3 || by[documents.ServiceReceipt] != 3 {
			return errors.New("counted " + s.String())
		}
		return nil
	})
}

// TestDocumentsBadInput: malformed envelopes are refused naming the field.
func TestDocumentsBadInput(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	c := hubv1.NewDocumentServiceClient(env.Conn)
	tests := map[string]func(e *hubv1.DocumentEnvelope){
		"document_id":    func(e *hubv1.DocumentEnvelope) { e.DocumentId = "" },
		"recipients":     func(e *hubv1.DocumentEnvelope) { e.Recipients = nil },
		"recipients[1]":  func(e *hubv1.DocumentEnvelope) { e.Recipients = append(e.Recipients, "H01") },
		"subject":        func(e *hubv1.DocumentEnvelope) { e.Subject = "" },
		"attachments[0]": func(e *hubv1.DocumentEnvelope) { e.Attachments[0].Sha256 = []byte("short") },
		"content":        func(e *hubv1.DocumentEnvelope) { e.Content = make([]byte, documents.MaxContent+1) },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			e := envelope("bad", "000.00.00.H01")
			f(e)
			_, err := c.SendDocument(ctxT(t), &hubv1.SendDocumentRequest{Envelope: e})
			if status.Code(err) != codes.InvalidArgument || !containsFold(err.Error(), name) {
				t.Fatalf("got %v, want InvalidArgument naming %s", err, name)
			}
		})
	}
}
