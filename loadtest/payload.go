package loadtest

import (
	"math/rand/v2"

	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/internal/wire"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// PayloadFunc builds the request payload of one transaction. r belongs to
// the calling goroutine. It must be safe for concurrent use.
type PayloadFunc func(r *rand.Rand) proto.Message

// defaultPayloads build valid requests for the services whose messages
// this build knows, keyed by the full protobuf name of the request type
// the provider registered. A service whose request type has no builder is
// sent an empty message of its type: the provider answers it as it would
// an empty request, and the transaction is counted all the same.
func defaultPayloads(pop synth.Population) map[string]PayloadFunc {
	return map[string]PayloadFunc{
		"ndxp.population.v1.LookupCitizenRequest": func(r *rand.Rand) proto.Message {
			return &populationv1.LookupCitizenRequest{PersonalId: pop.Sample(r)}
		},
		"ndxp.population.v1.VerifyCitizenRequest": func(r *rand.Rand) proto.Message {
			id := pop.Sample(r)
			c, _ := pop.Citizen(id)
			return &populationv1.VerifyCitizenRequest{PersonalId: id, FullName: c.GetFullName(), DateOfBirth: c.GetDateOfBirth()}
		},
	}
}

// typeURL is the Any type URL of a protobuf message name.
func typeURL(name string) string { return wire.TypeURLPrefix + name }
