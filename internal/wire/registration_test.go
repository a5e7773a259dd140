package wire

import (
	"testing"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestLimitsAreTheContracts: the exported limits are the ones annotated
// in registry.proto.
func TestLimitsAreTheContracts(t *testing.T) {
	rules := func(m proto.Message, name string) *validate.FieldRules {
		fd := m.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
		r, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
		return r
	}
	for _, tt := range []struct {
		got  uint64
		want int
		name string
	}{
		{rules(&hubv1.Agency{}, "name").GetString().GetMaxBytes(), MaxNameLen, "Agency.name max_bytes"},
		{rules(&hubv1.Agency{}, "services").GetRepeated().GetMaxItems(), MaxServices, "Agency.services max_items"},
		{rules(&hubv1.Service{}, "description").GetString().GetMaxBytes(), MaxDescription, "Service.description max_bytes"},
		{rules(&hubv1.Service{}, "request_type").GetString().GetMaxBytes(), MaxTypeName, "Service.request_type max_bytes"},
		{rules(&hubv1.Service{}, "response_type").GetString().GetMaxBytes(), MaxTypeName, "Service.response_type max_bytes"},
	} {
		if tt.got != uint64(tt.want) {
			t.Errorf("%s is %d, the constant %d", tt.name, tt.got, tt.want)
		}
	}
}
