package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nuid"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newSendCmd() *cobra.Command {
	var (
		cf       clientFlags
		consumer string
		purpose  string
		userID   string
		msgID    string
		wait     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "send PROVIDER/SERVICE [JSON]",
		Short: "Send one request for asynchronous (store-and-forward) delivery",
		Long: `Send one request through the hub's durable delivery path: the hub checks it
as it checks an exchange, stores it in JetStream and answers ACCEPTED at
once; a hub then delivers it to the provider, retrying while the provider's
node is offline. The body is written as for "ndxp call". Follow it with
"ndxp delivery MESSAGE_ID", or with --wait.`,
		Example: `  ndxp send --as 000.00.00.H29 --message-id cv-76 000.00.02.G22/document-send \
    '{"recipientCode": "000.00.00.H01", "documentNumber": "76/BC-BTTTT", "subject": "Báo cáo tháng 8"}'
  ndxp send --as 000.00.00.H29 --wait 1m 000.00.01.G01/citizen-lookup '{"personalId": "001194053383"}'`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := "{}"
			if len(args) == 2 {
				body = args[1]
			}
			if consumer == "" {
				consumer = cf.as
			}
			if err := needConsumer(consumer, &cf); err != nil {
				return err
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx := cmd.Context()
			provider, service, payload, err := requestFor(ctx, conn, args[0], body)
			if err != nil {
				return err
			}
			if msgID == "" {
				msgID = nuid.Next()
			}
			c := hubv1.NewDeliveryServiceClient(conn)
			resp, err := c.Send(ctx, &hubv1.SendRequest{
				MessageId: msgID, Consumer: consumer, Provider: provider, Service: service,
				Payload: payload, Purpose: purpose, UserId: userID,
			})
			if err != nil {
				return err
			}
			if wait <= 0 {
				return printJSON(cmd, resp)
			}
			d, err := awaitDelivery(ctx, c, &hubv1.GetDeliveryRequest{MessageId: msgID, Consumer: consumer}, wait)
			if err != nil {
				return err
			}
			return printJSON(cmd, d)
		},
	}
	cf.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&consumer, "consumer", "", "the consumer agency code (default: --as); needed as the operator or with --insecure")
	fs.StringVar(&purpose, "purpose", "ndxp send", "the purpose stated (services with personal data require one)")
	fs.StringVar(&userID, "user", "ndxp-cli", "the end user the request is sent for (services with personal data require one)")
	fs.StringVar(&msgID, "message-id", "", "the message id (default: a new one, printed); reuse it to re-send without a duplicate")
	fs.DurationVar(&wait, "wait", 0, "wait up to this long for the outcome and print it instead of the acceptance")
	jsonOnly(cmd)
	return cmd
}

func newDeliveryCmd() *cobra.Command {
	var (
		cf       clientFlags
		consumer string
		wait     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "delivery MESSAGE_ID",
		Short: "Show the state of a request sent with \"ndxp send\"",
		Long: `Show the state of an asynchronous delivery: ACCEPTED (stored, not yet
answered), DELIVERED (with the provider's answer) or FAILED (with the
provider's error, or UNAVAILABLE when no node answered in the allowed
attempts). An agency sees its own deliveries; the operator names the
consumer with --consumer.`,
		Example: `  ndxp delivery --as 000.00.00.H29 cv-123
  ndxp delivery --consumer 000.00.00.H29 --wait 30s cv-123`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if consumer == "" {
				consumer = cf.as
			}
			if err := needConsumer(consumer, &cf); err != nil {
				return err
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			c := hubv1.NewDeliveryServiceClient(conn)
			d, err := awaitDelivery(cmd.Context(), c, &hubv1.GetDeliveryRequest{MessageId: args[0], Consumer: consumer}, wait)
			if err != nil {
				return err
			}
			return printJSON(cmd, d)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&consumer, "consumer", "", "the consumer agency code (default: --as); needed as the operator or with --insecure")
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long while the delivery is still ACCEPTED")
	jsonOnly(cmd)
	return cmd
}

// awaitDelivery fetches a delivery's state, polling while it is ACCEPTED
// until wait has passed (once if wait is 0).
func awaitDelivery(ctx context.Context, c hubv1.DeliveryServiceClient, req *hubv1.GetDeliveryRequest, wait time.Duration) (*hubv1.Delivery, error) {
	deadline := time.Now().Add(wait)
	for {
		resp, err := c.GetDelivery(ctx, req)
		if err != nil {
			return nil, err
		}
		d := resp.GetDelivery()
		if d.GetState() != hubv1.DeliveryState_DELIVERY_STATE_ACCEPTED || !time.Now().Before(deadline) {
			return d, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// requestFor parses PROVIDER/SERVICE and the JSON body as the request type
// the service's registration declares.
func requestFor(ctx context.Context, conn grpc.ClientConnInterface, target, body string) (provider, service string, payload *anypb.Any, err error) {
	provider, service, ok := strings.Cut(target, "/")
	if !ok {
		return "", "", nil, usagef("want PROVIDER/SERVICE, e.g. 000.00.01.G01/citizen-lookup, got %q", target)
	}
	a, err := hubv1.NewRegistryServiceClient(conn).GetAgency(ctx, &hubv1.GetAgencyRequest{Code: provider})
	if err != nil {
		return "", "", nil, fmt.Errorf("provider %s: %w", provider, err)
	}
	payload, err = payloadFor(a.GetAgency(), service, body)
	return provider, service, payload, err
}

// needConsumer refuses, before anything is sent, a request that names no
// consumer, saying how to name one.
func needConsumer(consumer string, cf *clientFlags) error {
	if consumer != "" {
		return nil
	}
	if cf.insecure {
		return usagef("name the consumer agency with --consumer <code> (with --insecure the hub trusts the consumer named), e.g. --consumer 000.00.00.H29")
	}
	return usagef("name the consumer agency: --as <code> acts as that agency with its certificate (e.g. --as 000.00.00.H29); as the operator, --consumer <code>")
}

// jsonOnly registers --json on a command whose only output is JSON (the
// gRPC API's answer), so that every command printing data takes it.
func jsonOnly(cmd *cobra.Command) {
	cmd.Flags().Bool("json", true, "print JSON (this command's only output: the gRPC API's message)")
}

func printJSON(cmd *cobra.Command, m proto.Message) error {
	if m == nil {
		return errors.New("empty answer")
	}
	return writeJSON(cmd.OutOrStdout(), m)
}
