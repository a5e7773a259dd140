package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

func newCallCmd() *cobra.Command {
	var (
		cf       clientFlags
		consumer string
		purpose  string
		userID   string
		msgID    string
	)
	cmd := &cobra.Command{
		Use:   "call PROVIDER/SERVICE [JSON]",
		Short: "Make one exchange through the hub with a JSON body and print the answer",
		Long: `Make one exchange through the hub, as grpcurl would but without writing the
envelope: the request type is taken from the service's registration and the
JSON body is that message (protobuf JSON names). The answer is printed as
JSON. The consumer is the agency of --as (its development certificate), or,
for the operator or with --insecure, --consumer.`,
		Example: `  ndxp call --as 000.00.00.H29 000.00.01.G01/citizen-lookup '{"personalId": "001194053383"}'
  ndxp call --as 000.00.00.H29 000.00.01.G01/citizen-verify '{"personalId": "001194053383", "fullName": "Trần Thị Lệ"}'
  ndxp call --insecure --consumer 000.00.00.H29 000.00.01.G05/parcel-lookup '{}'`,
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
			resp, err := hubv1.NewExchangeServiceClient(conn).Exchange(ctx, &hubv1.ExchangeRequest{
				MessageId: msgID, Consumer: consumer, Provider: provider, Service: service,
				Payload: payload, Purpose: purpose, UserId: userID,
			})
			if err != nil {
				return err
			}
			return printJSON(cmd, resp)
		},
	}
	cf.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&consumer, "consumer", "", "the consumer agency code (default: --as); needed as the operator or with --insecure")
	fs.StringVar(&purpose, "purpose", "ndxp call", "the purpose stated (services with personal data require one)")
	fs.StringVar(&userID, "user", "ndxp-cli", "the end user the call is made for (services with personal data require one)")
	fs.StringVar(&msgID, "message-id", "", "the message id (default: assigned by the hub); reuse it to retry")
	jsonOnly(cmd)
	return cmd
}

// payloadFor parses body as the request type service declares.
func payloadFor(a *hubv1.Agency, service, body string) (*anypb.Any, error) {
	var svc *hubv1.Service
	var codes []string
	for _, s := range a.GetServices() {
		codes = append(codes, s.GetCode())
		if s.GetCode() == service {
			svc = s
		}
	}
	if svc == nil {
		return nil, fmt.Errorf("%s provides no service %q; it provides: %s", a.GetCode(), service, strings.Join(codes, ", "))
	}
	if svc.GetRequestType() == "" {
		return nil, errors.New("the service declares no request type; use grpcurl with an explicit @type")
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(svc.GetRequestType()))
	if err != nil {
		return nil, fmt.Errorf("request type %s is not known to this binary; use grpcurl with the hub's reflection", svc.GetRequestType())
	}
	m := mt.New().Interface()
	if err := protojson.Unmarshal([]byte(body), m); err != nil {
		return nil, fmt.Errorf("the JSON body is not a valid %s: %w", svc.GetRequestType(), err)
	}
	p, err := anypb.New(m)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(p.GetTypeUrl(), wire.TypeURLPrefix) {
		return nil, fmt.Errorf("unexpected type URL %s", p.GetTypeUrl())
	}
	return p, nil
}
