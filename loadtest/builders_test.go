package loadtest

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/internal/vn"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// TestDefaultMixHasBuilders: every service of the default mix has a
// builder for the request type the built-in topology declares.
func TestDefaultMixHasBuilders(t *testing.T) {
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	payloads := defaultPayloads(synth.Population{Seed: 1}, 1)
	for _, m := range DefaultMix {
		prov, code, _ := topology.ServiceRef(m.Service).Split()
		a := full.Find(prov)
		if a == nil {
			t.Errorf("%s: no agency %s in the 2023 topology", m.Service, prov)
			continue
		}
		s, ok := a.Service(code)
		if !ok {
			t.Errorf("%s: %s provides no %s", m.Service, prov, code)
			continue
		}
		if payloads[s.RequestType] == nil {
			t.Errorf("%s: no builder for %s", m.Service, s.RequestType)
		}
	}
}

// TestBuilders checks what the simulators require of the requests that
// depend on the population or the clock, from concurrent goroutines (run
// with -race to check the builders share nothing mutable).
func TestBuilders(t *testing.T) {
	pop := synth.Population{Seed: 1}
	now := time.Now()
	sixYearsAgo := now.AddDate(-6, 0, 0)
	exists := func(id string) bool { return pop.Exists(id) }
	day := func(s string) time.Time {
		d, err := vn.ParseDay(s)
		if err != nil {
			t.Errorf("date %q: %v", s, err)
		}
		return d
	}
	check := func(m proto.Message) string {
		switch m := m.(type) {
		case *populationv1.IssuePersonalIdRequest:
			if d := day(m.GetDateOfBirth()); d.After(now) || d.Before(now.AddDate(0, 0, -61)) || m.GetFullName() == "" ||
				vn.ProvinceByCode(m.GetBirthProvinceCode()) == nil || m.GetBirthRegistrationRef() == "" || m.GetMotherName() == "" {
				return "not a newborn's issue"
			}
		case *populationv1.RegisterResidenceRequest:
			if !exists(m.GetPersonalId()) || !exists(m.GetHeadPersonalId()) || m.GetAddress().GetWard() == "" || m.GetAddress().GetProvince() == "" {
				return "not a move into an existing household"
			}
		case *civilv1.RegisterBirthRequest:
			if !exists(m.GetMotherPersonalId()) || (m.GetFatherPersonalId() != "" && !exists(m.GetFatherPersonalId())) ||
				day(m.GetDateOfBirth()).After(now) || m.GetChildName() == "" || vn.ProvinceByCode(m.GetProvinceCode()) == nil {
				return "not a birth to existing parents"
			}
		case *civilv1.RegisterDeathRequest:
			if !exists(m.GetPersonalId()) || day(m.GetDateOfDeath()).After(now) || vn.ProvinceByCode(m.GetProvinceCode()) == nil {
				return "not a death of an existing citizen"
			}
		case *civilv1.RegisterMarriageRequest:
			if !exists(m.GetSpouse1PersonalId()) || !exists(m.GetSpouse2PersonalId()) || m.GetSpouse1PersonalId() == m.GetSpouse2PersonalId() {
				return "not a marriage of two existing citizens"
			}
		case *insurancev1.IssueChildCardRequest:
			if err := synth.Validate(m.GetPersonalId()); err != nil || !day(m.GetDateOfBirth()).After(sixYearsAgo) || day(m.GetDateOfBirth()).After(now) {
				return "not a child under 6"
			}
		case *insurancev1.FuneralAllowanceRequest:
			if !exists(m.GetDeceasedPersonalId()) || !exists(m.GetClaimantPersonalId()) || m.GetDeathRegistrationRef() == "" {
				return "not a claim for an existing citizen"
			}
		}
		return ""
	}
	funcs := defaultPayloads(pop, 1)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for name, f := range funcs {
				for range 200 {
					m := f(r)
					if got := string(m.ProtoReflect().Descriptor().FullName()); got != name {
						t.Errorf("builder of %s built a %s", name, got)
						return
					}
					if why := check(m); why != "" {
						t.Errorf("%s: %s: %v", name, why, m)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestChildCardNumbers: child cards go to newborns whose numbers never
// repeat within a run, match their date of birth, and belong to no
// synthetic citizen.
func TestChildCardNumbers(t *testing.T) {
	for _, now := range []time.Time{time.Now(), time.Date(2031, time.January, 20, 12, 0, 0, 0, vn.Zone)} {
		b := newBuilders(synth.Population{Seed: 1}, func() time.Time { return now }, 3)
		r := rand.New(rand.NewPCG(1, 2))
		seen := map[string]bool{}
		for range 20_000 {
			m := b.childCard(r).(*insurancev1.IssueChildCardRequest)
			p, err := synth.ParseAt(m.GetPersonalId(), now)
			dob, derr := vn.ParseDay(m.GetDateOfBirth())
			if err != nil || derr != nil || dob.After(now) || dob.Before(now.AddDate(0, 0, -61)) || p.BirthYear != dob.Year() ||
				b.pop.Exists(m.GetPersonalId()) || seen[m.GetPersonalId()] {
				t.Fatalf("child card %v (ID %v, date %v, seen %v); want a new newborn of the last two months, numbered for its year",
					m, err, derr, seen[m.GetPersonalId()])
			}
			seen[m.GetPersonalId()] = true
		}
	}
}

// BenchmarkBuilders measures each builder: they run on the hot path.
func BenchmarkBuilders(b *testing.B) {
	for name, f := range defaultPayloads(synth.Population{Seed: 1}, 1) {
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				f(r)
			}
		})
	}
}
