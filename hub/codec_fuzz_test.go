package hub

import (
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// FuzzCodec feeds the server's codec arbitrary bytes as an exchange stream
// request: it must never panic, must decode exactly as the strict decoder
// whatever that accepts, and may accept more only by repairing UTF-8 (so
// what it decodes re-encodes).
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
			return
		}
		if err == nil {
			if _, merr := proto.Marshal(got); merr != nil {
				t.Fatalf("decoded %v, which does not re-encode: %v", got, merr)
			}
		}
	})
}
