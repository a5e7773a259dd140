package grpcapi

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxRepairDepth bounds the nesting repairUTF8 follows; deeper requests
// keep the strict decoder's error. The hub's requests nest a few levels.
const maxRepairDepth = 32

// codec is the hub server's gRPC codec: grpc-go's protobuf codec, except
// for requests whose string fields hold invalid UTF-8. grpc-go reports a
// codec error as INTERNAL before any handler runs, so such a request would
// be neither answered as the caller's mistake nor recorded. Instead the
// invalid bytes are replaced by U+FFFD and the request decoded again;
// validation then refuses U+FFFD naming the field (INVALID_ARGUMENT), and
// a refused exchange is recorded like any other.
type codec struct{ encoding.CodecV2 }

// newCodec wraps the registered protobuf codec.
func newCodec() codec { return codec{encoding.GetCodecV2(grpcproto.Name)} }

// Unmarshal implements encoding.CodecV2. The strict decoder runs first;
// only when it fails and the message has invalid UTF-8 in a string field
// is the repaired message decoded.
func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	fixed, changed := repairUTF8(data.Materialize(), m.ProtoReflect().Descriptor(), 0)
	if !changed {
		return err
	}
	return proto.Unmarshal(fixed, m)
}

// repairUTF8 returns b, a message of type md in wire format, with the
// invalid UTF-8 of every string field (in nested messages and map entries
// too) replaced by U+FFFD, and whether anything changed. Anything it
// cannot parse is left to the strict decoder: it then reports no change.
func repairUTF8(b []byte, md protoreflect.MessageDescriptor, depth int) ([]byte, bool) {
	if depth > maxRepairDepth {
		return nil, false
	}
	out := make([]byte, 0, len(b))
	changed := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, false
		}
		whole := b[:n+m]
		b = b[n+m:]
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil {
			out = append(out, whole...)
			continue
		}
		v, _ := protowire.ConsumeBytes(whole[n:])
		fixed, ok := repairField(v, fd, depth)
		if !ok {
			out = append(out, whole...)
			continue
		}
		out = protowire.AppendBytes(protowire.AppendTag(out, num, typ), fixed)
		changed = true
	}
	return out, changed
}

// repairField repairs the length-delimited value v of field fd, reporting
// whether it changed.
func repairField(v []byte, fd protoreflect.FieldDescriptor, depth int) ([]byte, bool) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if utf8.Valid(v) {
			return nil, false
		}
		return []byte(strings.ToValidUTF8(string(v), string(utf8.RuneError))), true
	case protoreflect.MessageKind: // map entries are messages too
		return repairUTF8(v, fd.Message(), depth+1)
	}
	return nil, false
}
