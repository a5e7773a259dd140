package population

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// state is what the run changed on top of the synthetic population: the
// citizens issued a number, the numbers cancelled, residences registered
// and removed, and deaths. It lives in memory for the run; each instance
// of the simulator has its own.
type state struct {
	mu        sync.Mutex
	rand      *rand.Rand
	issued    map[string]*populationv1.Citizen // new citizens by number
	cancelled map[string]time.Time             // numbers cancelled; never issued again
	changed   map[string]*populationv1.Citizen // synthetic citizens as changed by the run
	members   map[string][]string              // household -> numbers that joined it this run
	removals  map[string]removal               // removal ref -> what it removed
	byBirth   map[string]string                // birth record ref -> number issued on its event
	seq       int
}

// removal is what residence-remove took away, so it can be undone.
type removal struct {
	id, household string
	address       *populationv1.Address
	deceased      bool // whether the removal set the deceased flag
}

func newState(seed uint64) *state {
	return &state{
		rand:      rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano()))),
		issued:    map[string]*populationv1.Citizen{},
		cancelled: map[string]time.Time{},
		changed:   map[string]*populationv1.Citizen{},
		members:   map[string][]string{},
		removals:  map[string]removal{},
		byBirth:   map[string]string{},
	}
}

// ref returns a new reference number with the given prefix; mu must be
// held.
func (s *state) ref(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s-%s-%06d", prefix, time.Now().Format("20060102"), s.seq)
}

// record returns the run's version of a citizen (nil if the run has not
// touched it); mu must be held.
func (s *state) record(id string) *populationv1.Citizen {
	if c, ok := s.issued[id]; ok {
		return c
	}
	return s.changed[id]
}

// touch returns a mutable run copy of c, the synthetic record; mu must be
// held.
func (s *state) touch(c *populationv1.Citizen) *populationv1.Citizen {
	if r := s.record(c.GetPersonalId()); r != nil {
		return r
	}
	r := proto.CloneOf(c)
	s.changed[c.GetPersonalId()] = r
	return r
}

func stamp(c *populationv1.Citizen) { c.UpdatedAt = timestamppb.Now() }
