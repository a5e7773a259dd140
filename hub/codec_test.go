package hub_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// rawCodec sends hand-built bytes as they are, as a client other than
// grpc-go (which refuses to marshal invalid UTF-8) may.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// withString appends field num as a string of raw bytes to the encoding of
// m; the last occurrence of a field wins.
func withString(t *testing.T, m proto.Message, num protowire.Number, raw string) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, raw)
}

// TestInvalidUTF8 sends raw protobuf whose string fields hold invalid
// UTF-8: the answer is INVALID_ARGUMENT naming the field, not INTERNAL,
// and a refused exchange is recorded and counted like any other.
func TestInvalidUTF8(t *testing.T) {
	env := hubtest.Start(t)
	ctx := ctxT(t)
	tests := []struct {
		name, method string
		body         []byte
		field        string
	}{
		{"purpose", "/ndxp.hub.v1.ExchangeService/Exchange",
			withString(t, withID(lookup(t, knownID), "utf8-purpose"), 7, "HS-\xff\xfe-1"), "purpose"},
		{"consumer", "/ndxp.hub.v1.ExchangeService/Exchange",
			withString(t, withID(lookup(t, knownID), "utf8-consumer"), 2, "000.00.00.H2\xc3"), "consumer"},
		{"user id of a delivery", "/ndxp.hub.v1.DeliveryService/Send",
			withString(t, &hubv1.SendRequest{MessageId: "utf8-send", Consumer: consumer, Provider: lookup(t, knownID).GetProvider(),
				Service: lookup(t, knownID).GetService(), Payload: lookup(t, knownID).GetPayload()}, 8, "\xed\xa0\x80"), "user_id"},
		{"agency name", "/ndxp.hub.v1.RegistryService/RegisterAgency",
			withString(t, &hubv1.RegisterAgencyRequest{}, 1, string(withString(t, &hubv1.Agency{
				Code: "000.00.99.G90", Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER}, 2, "S\xe1 Y t\xea"))), "agency.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out []byte
			err := env.Conn.Invoke(ctx, tt.method, tt.body, &out, grpc.ForceCodecV2(rawCodec{}))
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "invalid "+tt.field+":") {
				t.Fatalf("%s = %v %q, want InvalidArgument naming %s", tt.method, st.Code(), st.Message(), tt.field)
			}
		})
	}

	t.Run("purpose on the stream", func(t *testing.T) {
		desc := &grpc.StreamDesc{StreamName: "ExchangeStream", ServerStreams: true, ClientStreams: true}
		st, err := env.Conn.NewStream(ctx, desc, "/ndxp.hub.v1.ExchangeService/ExchangeStream", grpc.ForceCodecV2(rawCodec{}))
		if err != nil {
			t.Fatal(err)
		}
		inner := withString(t, withID(lookup(t, knownID), "utf8-stream"), 7, "\xc0\xaf")
		if err := st.SendMsg(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), inner)); err != nil {
			t.Fatal(err)
		}
		if err := st.CloseSend(); err != nil {
			t.Fatal(err)
		}
		var raw []byte
		if err := st.RecvMsg(&raw); err != nil {
			t.Fatalf("the stream failed instead of answering the one request: %v", err)
		}
		out := &hubv1.ExchangeStreamResponse{}
		if err := proto.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
		if out.GetError().GetCode() != int32(codes.InvalidArgument) || !strings.Contains(out.GetError().GetMessage(), "invalid purpose:") {
			t.Fatalf("stream result %v, want InvalidArgument naming purpose", out)
		}
	})

	resp, err := env.Stats.QueryRecords(ctx, &hubv1.QueryRecordsRequest{From: timestamppb.New(time.Now().Add(-time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, r := range resp.GetRecords() {
		found[r.GetMessageId()] = r.GetCode() == int32(codes.InvalidArgument)
	}
	if !found["utf8-purpose"] || !found["utf8-consumer"] || !found["utf8-stream"] {
		t.Fatalf("records %v, want utf8-purpose, utf8-consumer and utf8-stream refused as InvalidArgument", found)
	}
	if c := todayStats(t, env).GetCount(); c.GetTotal() != int64(len(found)) || c.GetFailed() != c.GetTotal() {
		t.Fatalf("counted %v, want the %d refusals recorded", c, len(found))
	}
}

func withID(req *hubv1.ExchangeRequest, id string) *hubv1.ExchangeRequest {
	req.MessageId = id
	return req
}
