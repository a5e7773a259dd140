package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nuid"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	_ "github.com/ndxp/ndxp/proto/ndxp/events/v1" // payloads of the declared event types
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Life events through the hub: list the types, publish, subscribe",
		Long: `Publish/subscribe through the hub (docs/events.md): a publisher publishes an
event of a declared type (birth-registered, death-registered, pid-issued,
...); every agency the publisher granted the type receives it through its
own durable consumer, acknowledges it, and each acknowledged delivery is
counted as one transaction.`,
	}
	cmd.AddCommand(newEventsListCmd(), newEventsPublishCmd(), newEventsSubscribeCmd())
	return cmd
}

func newEventsListCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the declared event types, their publishers and payloads",
		Example: "  ndxp events list --insecure",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := hubv1.NewEventServiceClient(conn).ListEventTypes(cmd.Context(), &hubv1.ListEventTypesRequest{})
			if err != nil {
				return err
			}
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				return printJSON(cmd, resp)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TYPE\tPUBLISHER\tPAYLOAD\tDESCRIPTION")
			for _, t := range resp.GetTypes() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.GetCode(), t.GetPublisher(), t.GetPayloadType(), t.GetDescription())
			}
			return tw.Flush()
		},
	}
	cf.register(cmd)
	cmd.Flags().Bool("json", false, "print the gRPC API's answer as JSON")
	return cmd
}

func newEventsPublishCmd() *cobra.Command {
	var (
		cf        clientFlags
		publisher string
		eventID   string
	)
	cmd := &cobra.Command{
		Use:   "publish TYPE [JSON]",
		Short: "Publish one event (as its declared publisher)",
		Long: `Publish one event of a declared type. The JSON body is the type's payload
message (ndxp events list names it), written as protobuf JSON. The same
--event-id published again is stored once.`,
		Example: `  ndxp events publish --insecure --publisher 000.00.01.G02 --event-id KS-1 birth-registered \
    '{"registrationRef": "KS-079-2026-000001", "childName": "Nguyễn Minh An", "dateOfBirth": "2026-12-01", "provinceCode": "079"}'`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := "{}"
			if len(args) == 2 {
				body = args[1]
			}
			if publisher == "" {
				publisher = cf.as
			}
			if err := needConsumer(publisher, &cf); err != nil {
				return err
			}
			conn, err := cf.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			c := hubv1.NewEventServiceClient(conn)
			payload, err := eventPayload(cmd.Context(), c, args[0], body)
			if err != nil {
				return err
			}
			if eventID == "" {
				eventID = nuid.Next()
			}
			resp, err := c.Publish(cmd.Context(), &hubv1.PublishRequest{
				EventId: eventID, Publisher: publisher, Type: args[0], Payload: payload, OccurredAt: timestamppb.Now(),
			})
			if err != nil {
				return err
			}
			return printJSON(cmd, resp)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&publisher, "publisher", "", "the publishing agency (default: --as); needed as the operator or with --insecure")
	cmd.Flags().StringVar(&eventID, "event-id", "", "the event id (default: a new one); reuse it to publish again without a duplicate")
	jsonOnly(cmd)
	return cmd
}

// eventPayload encodes body as the payload message of eventType.
func eventPayload(ctx context.Context, c hubv1.EventServiceClient, eventType, body string) (*anypb.Any, error) {
	resp, err := c.ListEventTypes(ctx, &hubv1.ListEventTypesRequest{})
	if err != nil {
		return nil, err
	}
	for _, t := range resp.GetTypes() {
		if t.GetCode() != eventType {
			continue
		}
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(t.GetPayloadType()))
		if err != nil {
			return nil, fmt.Errorf("payload type %s is not known to this binary; use grpcurl with the hub's reflection", t.GetPayloadType())
		}
		m := mt.New().Interface()
		if err := protojson.Unmarshal([]byte(body), m); err != nil {
			return nil, usagef("the JSON body is not a valid %s: %v", t.GetPayloadType(), err)
		}
		return anypb.New(m)
	}
	return nil, usagef("unknown event type %q; ndxp events list shows the declared types", eventType)
}

func newEventsSubscribeCmd() *cobra.Command {
	var (
		cf         clientFlags
		subscriber string
		count      int
		window     uint32
	)
	cmd := &cobra.Command{
		Use:   "subscribe TYPE",
		Short: "Receive events of a type, print each on a line and acknowledge it",
		Long: `Open a subscription to a declared event type as the subscriber (an agency
the publisher granted the type), print each event on one line (sequence,
type, event id, publisher, occurred time, payload as JSON), acknowledge it
(the hub then counts its delivery), and exit after --count events (0: run
until interrupted). Events published while the subscriber was away come
first, in order.`,
		Example: `  ndxp events subscribe --as 000.00.01.G01 --count 1 birth-registered
  ndxp events subscribe --insecure --subscriber 000.00.01.G01 birth-registered`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if subscriber == "" {
				subscriber = cf.as
			}
			if err := needConsumer(subscriber, &cf); err != nil {
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
			return subscribeEvents(cmd.Context(), hubv1.NewEventServiceClient(conn), cmd.OutOrStdout(),
				&hubv1.SubscribeOpen{Subscriber: subscriber, Type: args[0], Window: window}, count)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&subscriber, "subscriber", "", "the subscribing agency (default: --as); needed as the operator or with --insecure")
	cmd.Flags().IntVar(&count, "count", 0, "exit after this many events (0: until interrupted)")
	cmd.Flags().Uint32Var(&window, "window", 1, "events unacknowledged at once (1 keeps strict order)")
	return cmd
}

// subscribeEvents prints and acknowledges events until count (0: until
// ctx ends), then closes its side and waits for the hub to end the stream,
// so that every acknowledgement is applied before it returns.
func subscribeEvents(ctx context.Context, c hubv1.EventServiceClient, w io.Writer, open *hubv1.SubscribeOpen, count int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.Subscribe(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Open{Open: open}}); err != nil {
		return err
	}
	for n := 0; count == 0 || n < count; n++ {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		ev := resp.GetEvent()
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", ev.GetSequence(), ev.GetType(), ev.GetEventId(), ev.GetPublisher(),
			ev.GetOccurredAt().AsTime().Format(time.RFC3339), eventJSON(ev))
		if err := stream.Send(&hubv1.SubscribeRequest{Request: &hubv1.SubscribeRequest_Ack{Ack: &hubv1.EventAck{Sequence: ev.GetSequence()}}}); err != nil {
			return err
		}
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func eventJSON(ev *hubv1.Event) string {
	m, err := ev.GetPayload().UnmarshalNew()
	if err != nil {
		return "{}"
	}
	b, err := protojson.MarshalOptions{}.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(b)
}
