// Package basic simulates the agencies whose behaviour the simulator does
// not model in depth: the land, business registration and officials
// databases, the document exchange axis, the public service portal, the
// reporting system and generic systems. Each answers its declared
// services with valid typed messages computed from the request, and
// rejects malformed input with INVALID_ARGUMENT naming the field.
package basic

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Kinds of simulator this package implements; they are the simulator
// names of package topology.
const (
	KindLand                 = "land"
	KindBusinessRegistration = "business-registration"
	KindOfficials            = "officials"
	KindDocumentExchange     = "document-exchange"
	KindPublicServicePortal  = "public-service-portal"
	KindReporting            = "reporting"
	KindGeneric              = "generic"
)

// endpoint is one service: its code, description, types and handler.
type endpoint struct {
	code, desc string
	req, resp  proto.Message
	personal   bool
	h          func(s *Simulator, req *node.Request) (proto.Message, error)
	// hc, in place of h, is a handler that calls the hub as the agency.
	hc func(ctx context.Context, c *node.Client, req *node.Request) (proto.Message, error)
}

// Simulator answers the services of one basic kind. It is safe for
// concurrent use.
type Simulator struct {
	agency    *hubv1.Agency
	endpoints []endpoint
	seq       atomic.Int64
	started   time.Time
}

// New returns a simulator of the given kind registering as agency; an
// unknown kind is an error.
func New(kind string, agency *hubv1.Agency) (*Simulator, error) {
	eps, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("basic: unknown simulator kind %q", kind)
	}
	return &Simulator{agency: agency, endpoints: eps, started: time.Now()}, nil
}

// Agency is the registration, without services.
func (s *Simulator) Agency() *hubv1.Agency {
	a := proto.CloneOf(s.agency)
	a.Services = nil
	return a
}

// Install adds the services to n.
func (s *Simulator) Install(n *node.Node) {
	c := n.Client()
	for _, e := range s.endpoints {
		n.Handle(&hubv1.Service{
			Code: e.code, Description: e.desc, RequestType: node.TypeName(e.req), ResponseType: node.TypeName(e.resp), PersonalData: e.personal,
		}, func(ctx context.Context, req *node.Request) (proto.Message, error) {
			if e.hc != nil {
				return e.hc(ctx, c, req)
			}
			return e.h(s, req)
		})
	}
}

// next returns a new sequence number for references.
func (s *Simulator) next() int64 { return s.seq.Add(1) }

// hash is a stable hash of the parts, to derive answers from requests.
func hash(parts ...any) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return h.Sum64()
}

// randFrom returns a generator seeded by v, for stable derived answers.
func randFrom(v uint64) *rand.Rand { return rand.New(rand.NewPCG(v, v>>1)) }
