package hub

import (
	"strings"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// fieldRules are the buf.validate rules annotated on a field of msg.
func fieldRules(t *testing.T, msg proto.Message, name string) *validate.FieldRules {
	t.Helper()
	fd := msg.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil {
		t.Fatalf("%T has no field %s", msg, name)
	}
	r, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
	if r == nil {
		t.Fatalf("%T.%s has no buf.validate rules", msg, name)
	}
	return r
}

// TestRulesAgreeWithTheRecordChecks: the limits annotated in the contracts
// are the ones the hub keeps records by (sanitize, businessTime), for both
// messages that carry an exchange.
func TestRulesAgreeWithTheRecordChecks(t *testing.T) {
	for _, msg := range []proto.Message{&hubv1.ExchangeRequest{}, &hubv1.SendRequest{}} {
		for name, limit := range map[string]int{"message_id": MaxMessageID, "purpose": MaxPurpose, "user_id": MaxUserID} {
			if got := fieldRules(t, msg, name).GetString().GetMaxBytes(); got != uint64(limit) {
				t.Errorf("%T.%s: max_bytes %d, the hub keeps %d", msg, name, got, limit)
			}
		}
		bt := fieldRules(t, msg, "business_time")
		if got := bt.GetTimestamp().GetGte().AsTime(); !got.Equal(MinBusinessTime) {
			t.Errorf("%T.business_time: gte %s, MinBusinessTime is %s", msg, got, MinBusinessTime)
		}
		if len(bt.GetCel()) != 1 || !strings.Contains(bt.GetCel()[0].GetExpression(), "now + duration('24h')") || MaxBusinessAhead != 24*time.Hour {
			t.Errorf("%T.business_time: CEL %v, want now + %s", msg, bt.GetCel(), MaxBusinessAhead)
		}
	}
}

// TestCodeRulesAgreeWithWire: the agency and service code patterns of the
// contracts accept exactly what internal/wire (which builds subjects from
// the codes) accepts.
func TestCodeRulesAgreeWithWire(t *testing.T) {
	agencies := []string{"000.00.00.H29", "000.00.01.G01", "999.99.99.Z99", "", "000.00.00.h29", "000.00.00.H2", "000.00.00.H290",
		"000.00.00.HH9", "000-00-00-H29", "0000.0.00.H29", "000.00.00.H29\n", " 000.00.00.H29", "٠٠٠.00.00.H29", "000.00.00.Ｈ29"}
	for _, code := range agencies {
		err := checkRules(&hubv1.ExchangeRequest{Provider: code, Service: "s"})
		if got, want := names(err), wire.ValidateAgencyCode(code) != nil; got["provider"] != want {
			t.Errorf("agency code %q: rule refuses %v, wire refuses %v", code, got["provider"], want)
		}
	}
	services := []string{"citizen-lookup", "a", "a" + strings.Repeat("b", 63), "a" + strings.Repeat("b", 64), "", "-a", "1a",
		"Citizen", "citizen_lookup", "citizen.lookup", "citizen-lookup\n", "ă"}
	for _, code := range services {
		err := checkRules(&hubv1.ExchangeRequest{Provider: "000.00.00.H29", Service: code})
		if got, want := names(err), wire.ValidateServiceCode(code) != nil; got["service"] != want {
			t.Errorf("service code %q: rule refuses %v, wire refuses %v", code, got["service"], want)
		}
	}
}

func names(err error) map[string]bool {
	m := map[string]bool{}
	for _, fe := range field.All(err) {
		m[fe.Field] = true
	}
	return m
}
