package grpcapi

import (
	"errors"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// FuzzCodec feeds the server's codec arbitrary bytes as an exchange stream
// request: it must never panic, must decode exactly as the strict decoder
// whatever that accepts, and may accept more only by repairing UTF-8 (so
// what it decodes re-encodes); and what it decodes, the exchange
// validation (protovalidate rules, then the hub's checks) must judge
// without panicking, answering nil, field errors or ErrPayloadTooLarge.
func FuzzCodec(f *testing.F) {
	valid, _ := proto.Marshal(&hubv1.ExchangeStreamRequest{Request: &hubv1.ExchangeRequest{
		MessageId: "m-1", Consumer: "000.00.00.H29", Purpose: "HS-1", UserId: "officer"}})
	f.Add(valid)
	f.Add(protowire.AppendString(protowire.AppendTag(append([]byte{}, valid...), 1, protowire.BytesType),
		string(protowire.AppendString(protowire.AppendTag(nil, 7, protowire.BytesType), "\xff"))))
	f.Add([]byte{0x0a, 0x03, 0x3a, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		got := &hubv1.ExchangeStreamRequest{}
		err := newCodec().Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, got)
		strict := &hubv1.ExchangeStreamRequest{}
		if serr := proto.Unmarshal(b, strict); serr == nil {
			if err != nil || !proto.Equal(got, strict) {
				t.Fatalf("strict decoding gives %v; the codec %v, %v", strict, got, err)
			}
		} else if err == nil {
			if _, merr := proto.Marshal(got); merr != nil {
				t.Fatalf("decoded %v, which does not re-encode: %v", got, merr)
			}
		}
		if err == nil && got.GetRequest() != nil {
			checkValidation(t, got.GetRequest())
		}
	})
}

// checkValidation fails t unless validating req answers nil, field
// errors that name their fields, or ErrPayloadTooLarge.
func checkValidation(t *testing.T, req *hubv1.ExchangeRequest) {
	err := hub.CheckExchange(req, 1024)
	fields := field.All(err)
	switch {
	case err == nil, errors.Is(err, hub.ErrPayloadTooLarge):
	case len(fields) == 0:
		t.Fatalf("validating %v: not a field error: %v", req, err)
	default:
		for _, fe := range fields {
			if fe.Field == "" || fe.Reason == "" {
				t.Fatalf("field error without a field or a reason: %v", err)
			}
		}
	}
}
