package loadtest

import (
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/internal/wire"
)

// PayloadFunc builds the request payload of one transaction. r belongs to
// the calling goroutine. It must be safe for concurrent use.
type PayloadFunc func(r *rand.Rand) proto.Message

// defaultPayloads build valid requests for the simulators' services (see
// builders), keyed by the full protobuf name of the request type the
// provider registered. A service whose request type has no builder gets
// reflectPayload's, if its type is linked in, else an empty message of
// its type: the provider answers it as it would an empty request, and the
// transaction is counted all the same.
// key, from the run's seed and id, seeds what the builders share.
func defaultPayloads(pop synth.Population, key uint64) map[string]PayloadFunc {
	return newBuilders(pop, time.Now, key).funcs()
}

// typeURL is the Any type URL of a protobuf message name.
func typeURL(name string) string { return wire.TypeURLPrefix + name }

// reflectPayload builds a request of a type this package has no builder
// for but that is linked into the binary (every simulator's messages are):
// the fields that name a citizen are filled in with an existing synthetic
// citizen (personal_id and *_personal_id, full_name, date_of_birth,
// household_id); other fields stay empty. It returns nil when the type is
// unknown, and the caller sends an empty message of that type.
func reflectPayload(pop synth.Population, requestType string) PayloadFunc {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(requestType))
	if err != nil {
		return nil
	}
	fields := mt.Descriptor().Fields()
	citizenal := false
	for i := range fields.Len() {
		if citizenField(fields.Get(i)) != "" {
			citizenal = true
		}
	}
	if !citizenal {
		return nil
	}
	return func(r *rand.Rand) proto.Message {
		m := mt.New()
		c, _ := pop.Citizen(pop.Sample(r))
		for i := range fields.Len() {
			f := fields.Get(i)
			var v string
			switch citizenField(f) {
			case "personal_id":
				v = c.GetPersonalId()
			case "full_name":
				v = c.GetFullName()
			case "date_of_birth":
				v = c.GetDateOfBirth()
			case "household_id":
				v = c.GetHouseholdId()
			default:
				continue
			}
			m.Set(f, protoreflect.ValueOfString(v))
		}
		return m.Interface()
	}
}

// citizenField says which citizen attribute a singular string field
// holds, by its name, or "".
func citizenField(f protoreflect.FieldDescriptor) string {
	if f.Kind() != protoreflect.StringKind || f.Cardinality() == protoreflect.Repeated {
		return ""
	}
	name := string(f.Name())
	switch {
	case name == "personal_id" || strings.HasSuffix(name, "_personal_id"):
		return "personal_id"
	case name == "full_name", name == "date_of_birth", name == "household_id":
		return name
	}
	return ""
}
