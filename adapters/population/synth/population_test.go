package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ndxp/ndxp/internal/vn"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
	"google.golang.org/protobuf/proto"
)

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2024)) }

func TestProvincePopulation(t *testing.T) {
	if len(provincePopulation) != len(vn.Provinces) {
		t.Fatalf("len(provincePopulation) = %d, want %d", len(provincePopulation), len(vn.Provinces))
	}
	for _, p := range vn.Provinces {
		if provincePopulation[p.Code] == 0 {
			t.Errorf("no population for %s (%s)", p.Name, p.Code)
		}
	}
}

func TestDeterminism(t *testing.T) {
	r := newRand()
	pop := Population{Seed: 1}
	for range 200 {
		id := pop.Sample(r)
		a, okA := pop.Citizen(id)
		b, okB := Population{Seed: 1}.Citizen(id)
		if !okA || !okB || !proto.Equal(a, b) {
			t.Fatalf("Citizen(%q) differs between calls:\n%v\n%v", id, a, b)
		}
		// A denser population keeps the same records for the same IDs.
		if c, ok := (Population{Seed: 1, Density: 0.5}).Citizen(id); !ok || !proto.Equal(a, c) {
			t.Fatalf("Citizen(%q) changes with Density:\n%v\n%v", id, a, c)
		}
		if c, ok := (Population{Seed: 2}).Citizen(id); ok && proto.Equal(a, c) {
			t.Fatalf("Citizen(%q) is the same under seeds 1 and 2: %v", id, a)
		}
	}
}

// TestDensity counts the existing IDs among random valid ones.
func TestDensity(t *testing.T) {
	tests := []struct {
		density, want float64
	}{
		{0, DefaultDensity},
		{-1, DefaultDensity},
		{math.NaN(), DefaultDensity},
		{0.1, 0.1},
		{0.5, 0.5},
		{2, MaxDensity},
	}
	const n = 100_000
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.density), func(t *testing.T) {
			r := newRand()
			pop := Population{Seed: 7, Density: tt.density}
			found := 0
			for range n {
				if pop.Exists(randomID(r).String()) {
					found++
				}
			}
			if got := float64(found) / n; math.Abs(got-tt.want) > 0.01 {
				t.Fatalf("%d of %d exist (%.4f), want about %v", found, n, got, tt.want)
			}
		})
	}
}

func TestExistsOutsideBirthYears(t *testing.T) {
	pop := Population{Density: MaxDensity}
	hanoi := vn.ProvinceByCode("001")
	for _, year := range []int{1800, 1899, 1900, 1924, 2025, 2026, 2100} {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			for serial := range 1000 {
				id := PID{hanoi, female, year, serial}.String()
				if pop.Exists(id) {
					t.Fatalf("Exists(%q) with birth year %d", id, year)
				}
			}
		})
	}
}

func TestExistsMalformed(t *testing.T) {
	pop := Population{Density: MaxDensity}
	for _, id := range []string{"", "12345", "099090012345", "00109001234a", "0010900123456"} {
		if pop.Exists(id) {
			t.Errorf("Exists(%q) = true", id)
		}
		if c, ok := pop.Citizen(id); ok || c != nil {
			t.Errorf("Citizen(%q) = %v, %v", id, c, ok)
		}
	}
}

func TestExistsDoesNotAllocate(t *testing.T) {
	pop := Population{}
	if n := testing.AllocsPerRun(100, func() { pop.Exists("001090012345") }); n != 0 {
		t.Fatalf("Exists allocates %v times", n)
	}
}

func TestSample(t *testing.T) {
	r := newRand()
	pop := Population{Seed: 3}
	perProvince := map[string]int{}
	for range 10_000 {
		id := pop.Sample(r)
		p, err := ParseAt(id, now)
		if err != nil || !pop.Exists(id) {
			t.Fatalf("Sample() = %q: Parse error %v, Exists %v", id, err, pop.Exists(id))
		}
		if p.BirthYear < FirstBirthYear || p.BirthYear > LastBirthYear {
			t.Fatalf("Sample() = %q born in %d", id, p.BirthYear)
		}
		perProvince[p.Province.Code]++
	}
	// Ho Chi Minh City has about 29 times the population of Bắc Kạn.
	if hcm, backan := perProvince["079"], perProvince["006"]; hcm < 10*backan {
		t.Errorf("samples born in Hồ Chí Minh %d, in Bắc Kạn %d: want weighting by population", hcm, backan)
	}
}

func TestSampleMissing(t *testing.T) {
	r := newRand()
	for _, density := range []float64{0, MaxDensity} {
		pop := Population{Seed: 3, Density: density}
		for range 1000 {
			id := pop.SampleMissing(r)
			if err := Validate(id); err != nil || pop.Exists(id) {
				t.Fatalf("SampleMissing() = %q: Validate %v, Exists %v", id, err, pop.Exists(id))
			}
			if c, ok := pop.Citizen(id); ok {
				t.Fatalf("Citizen(%q) of a missing ID = %v", id, c)
			}
		}
	}
}

func TestFree(t *testing.T) {
	tests := []struct {
		province string
		sex      populationv1.Sex
		year     int
	}{
		{"001", male, 2024},
		{"079", female, 2026},
		{"096", female, FirstBirthYear},
		{"002", male, 1990},
	}
	r := newRand()
	pop := Population{Seed: 5, Density: MaxDensity}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s-%v-%d", tt.province, tt.sex, tt.year), func(t *testing.T) {
			want := PID{Province: vn.ProvinceByCode(tt.province), Sex: tt.sex, BirthYear: tt.year}
			for range 500 {
				id := pop.Free(want.Province, tt.sex, tt.year, r)
				got, err := ParseAt(id, now)
				if err != nil || pop.Exists(id) {
					t.Fatalf("Free() = %q: Parse error %v, Exists %v", id, err, pop.Exists(id))
				}
				if got.Serial, want.Serial = 0, 0; got != want {
					t.Fatalf("Free() = %q = %+v, want %+v", id, got, want)
				}
			}
		})
	}
}

func TestFreePanicsOnInvalidAttributes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Free(nil province) did not panic")
		}
	}()
	Population{}.Free(nil, male, 2024, newRand())
}

func BenchmarkExists(b *testing.B) {
	var pop Population
	ids := sampleIDs(pop, 1024)
	for i := 0; b.Loop(); i++ {
		pop.Exists(ids[i%len(ids)])
	}
}

func BenchmarkCitizen(b *testing.B) {
	var pop Population
	ids := sampleIDs(pop, 1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pop.Citizen(ids[i%len(ids)])
	}
}

func sampleIDs(pop Population, n int) []string {
	r := newRand()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = pop.Sample(r)
	}
	return ids
}
