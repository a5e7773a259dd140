package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nuid"
	"github.com/spf13/cobra"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newDocumentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "documents",
		Short: "The document exchange axis: send, receive, report receipts, follow a document",
		Long: `Store and forward between agencies' document systems (docs/documents.md): a
document lands in each recipient's durable inbox; the recipient fetches it
(receipt RECEIVED) and reports PROCESSING, DONE or REJECTED; the sender
follows the receipts with "ndxp documents get".`,
	}
	cmd.AddCommand(newDocumentsSendCmd(), newDocumentsReceiveCmd(), newDocumentsReceiptCmd(), newDocumentsGetCmd())
	return cmd
}

func newDocumentsSendCmd() *cobra.Command {
	var (
		cf  clientFlags
		env = &hubv1.DocumentEnvelope{}
		to  []string
	)
	cmd := &cobra.Command{
		Use:     "send --to CODE[,CODE...] --number N --type T --subject S [CONTENT]",
		Short:   "Send a document to one or more agencies",
		Example: "  ndxp documents send --insecure --sender 000.00.00.H29 --to 000.00.00.H01,000.00.01.G01 --number 76/BC-BTTTT --type 'báo cáo' --subject 'Báo cáo tháng 8' 'Kính gửi ...'",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if env.Sender == "" {
				env.Sender = cf.as
			}
			if err := needConsumer(env.Sender, &cf); err != nil {
				return err
			}
			if len(args) == 1 {
				env.Content = []byte(args[0])
			}
			env.Recipients = to
			if env.DocumentId == "" {
				env.DocumentId = nuid.Next()
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewDocumentServiceClient(conn).SendDocument(cmd.Context(), &hubv1.SendDocumentRequest{Envelope: env})
			if err != nil {
				return err
			}
			return printJSON(cmd, resp)
		},
	}
	cf.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&env.Sender, "sender", "", "the sending agency (default: --as); needed as the operator or with --insecure")
	fs.StringSliceVar(&to, "to", nil, "the recipients' agency codes")
	fs.StringVar(&env.DocumentId, "document-id", "", "the document id (default: a new one); reuse it to send again without a duplicate")
	fs.StringVar(&env.DocumentNumber, "number", "", "the number and symbol, e.g. 76/BC-BTTTT")
	fs.StringVar(&env.DocumentType, "type", "công văn", "the kind of document")
	fs.StringVar(&env.Subject, "subject", "", "the subject")
	jsonOnly(cmd)
	return cmd
}

func newDocumentsReceiveCmd() *cobra.Command {
	var (
		cf        clientFlags
		recipient string
		count     int
	)
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Fetch the documents in an agency's inbox, print each on a line and acknowledge it",
		Long: `Fetch the caller's inbox, oldest first: each document is printed on one line
(sequence, sender, document id, number, subject) and acknowledged, which
records its receipt RECEIVED. Exits after --count documents (0: run until
interrupted).`,
		Example: "  ndxp documents receive --insecure --recipient 000.00.00.H01 --count 1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if recipient == "" {
				recipient = cf.as
			}
			if err := needConsumer(recipient, &cf); err != nil {
				return err
			}
			if count < 0 {
				return usagef("--count must not be negative")
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			return receiveDocuments(cmd.Context(), hubv1.NewDocumentServiceClient(conn), cmd.OutOrStdout(), recipient, count)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&recipient, "recipient", "", "the receiving agency (default: --as); needed as the operator or with --insecure")
	cmd.Flags().IntVar(&count, "count", 0, "exit after this many documents (0: until interrupted)")
	return cmd
}

func receiveDocuments(ctx context.Context, c hubv1.DocumentServiceClient, w io.Writer, recipient string, count int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.ReceiveDocuments(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Open{Open: &hubv1.ReceiveOpen{Recipient: recipient}}}); err != nil {
		return err
	}
	for n := 0; count == 0 || n < count; n++ {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		d := resp.GetDocument()
		e := d.GetEnvelope()
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", d.GetSequence(), e.GetSender(), e.GetDocumentId(), e.GetDocumentNumber(), e.GetSubject())
		if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Ack{Ack: &hubv1.DocumentAck{Sequence: d.GetSequence()}}}); err != nil {
			return err
		}
	}
	_ = stream.CloseSend()
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func newDocumentsReceiptCmd() *cobra.Command {
	var (
		cf  clientFlags
		req = &hubv1.SendReceiptRequest{}
	)
	cmd := &cobra.Command{
		Use:     "receipt SENDER DOCUMENT_ID processing|done|rejected",
		Short:   "Report what the recipient did with a document it received",
		Example: "  ndxp documents receipt --insecure --recipient 000.00.00.H01 000.00.00.H29 cv-76 rejected --reason 'sai thẩm quyền'",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Recipient == "" {
				req.Recipient = cf.as
			}
			if err := needConsumer(req.Recipient, &cf); err != nil {
				return err
			}
			st, ok := hubv1.ReceiptStatus_value["RECEIPT_STATUS_"+strings.ToUpper(args[2])]
			if !ok {
				return usagef("the status is processing, done or rejected, got %q", args[2])
			}
			req.Sender, req.DocumentId, req.Status = args[0], args[1], hubv1.ReceiptStatus(st)
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewDocumentServiceClient(conn).SendReceipt(cmd.Context(), req)
			if err != nil {
				return err
			}
			return printJSON(cmd, resp)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&req.Recipient, "recipient", "", "the reporting agency (default: --as); needed as the operator or with --insecure")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why the document is rejected (required for rejected)")
	jsonOnly(cmd)
	return cmd
}

func newDocumentsGetCmd() *cobra.Command {
	var (
		cf     clientFlags
		caller string
	)
	cmd := &cobra.Command{
		Use:     "get SENDER DOCUMENT_ID",
		Short:   "Show a document's envelope and every recipient's receipts",
		Example: "  ndxp documents get --insecure 000.00.00.H29 cv-76",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if caller == "" {
				caller = cf.as
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewDocumentServiceClient(conn).GetDocument(cmd.Context(), &hubv1.GetDocumentRequest{Sender: args[0], DocumentId: args[1], Caller: caller})
			if err != nil {
				return err
			}
			return printJSON(cmd, resp)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&caller, "caller", "", "the agency asking, the sender or a recipient (default: --as, else the sender)")
	jsonOnly(cmd)
	return cmd
}
