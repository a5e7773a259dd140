package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// BirthConfig configures a run of the event-driven birth procedure.
type BirthConfig struct {
	// Births is how many procedures to run (required).
	Births int
	// Concurrency is how many run at once (0: 8).
	Concurrency int
	// Seed is the synthetic population's seed (the hub's simulators').
	Seed uint64
	// Settle bounds the wait for the last deliveries to be counted (0: 2
	// minutes).
	Settle time.Duration
	// RunID prefixes the dossier ids (empty: the start time).
	RunID string
}

// BirthReport is the outcome of the run, reconciled with the hub's
// counters: every birth published once and delivered to every subscriber.
type BirthReport struct {
	Births          int     `json:"births"`           // procedures submitted
	Completed       int64   `json:"completed"`        // answered COMPLETED
	Provinces       int     `json:"provinces"`        // province LGSPs registered (each subscribes)
	BirthRegistered int64   `json:"birth_registered"` // deliveries counted
	PIDIssued       int64   `json:"pid_issued"`       // deliveries counted
	ChildCardIssued int64   `json:"child_card_issued"`
	Seconds         float64 `json:"seconds"`
	PerSecond       float64 `json:"per_second"` // procedures completed per second
	Reconciled      bool    `json:"reconciled"`
}

// RunBirths submits cfg.Births event-driven birth procedures
// (procedure-birth-events) to the province LGSPs in turn, then reconciles
// the event deliveries the hub counted today: one birth-registered per
// birth (to the population database), one pid-issued per birth and
// subscriber (social insurance and every province LGSP), one
// child-card-issued per birth and province LGSP.
func RunBirths(ctx context.Context, cfg BirthConfig, conn grpc.ClientConnInterface) (*BirthReport, error) {
	if cfg.Births <= 0 {
		return nil, fmt.Errorf("loadtest: births %d: want at least 1", cfg.Births)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 2 * time.Minute
	}
	if cfg.RunID == "" {
		cfg.RunID = fmt.Sprint(time.Now().Unix())
	}
	provinces, err := countProvinces(ctx, conn)
	if err != nil {
		return nil, err
	}
	stats := hubv1.NewStatsServiceClient(conn)
	before, err := countedEvents(ctx, stats)
	if err != nil {
		return nil, err
	}
	ex := hubv1.NewExchangeServiceClient(conn)
	pop := synth.Population{Seed: cfg.Seed}
	var completed atomic.Int64
	start := time.Now()
	g := newGroup(ctx, cfg.Concurrency)
	for i := range cfg.Births {
		p := vn.Provinces[i%len(vn.Provinces)]
		mother := pop.Sample(rand.New(rand.NewPCG(cfg.Seed, uint64(i))))
		g.Go(func(ctx context.Context) error {
			dossier := fmt.Sprintf("HS-LT-%s-%d", cfg.RunID, i)
			payload, err := anypb.New(&lgspv1.BirthProcedureRequest{
				DossierId: dossier, ChildName: "Nguyễn Minh An", DateOfBirth: vn.Day(time.Now().AddDate(0, 0, -2)), Sex: populationv1.Sex_SEX_FEMALE,
				MotherPersonalId: mother, Residence: &populationv1.Address{Province: p.Name, ProvinceCode: p.Code, Ward: "Phường 1", Street: "1 Lê Lợi"},
			})
			if err != nil {
				return err
			}
			out, err := ex.Exchange(ctx, &hubv1.ExchangeRequest{
				MessageId: dossier, Consumer: p.AgencyCode, Provider: p.AgencyCode, Service: "procedure-birth-events",
				Payload: payload, Purpose: dossier, UserId: "mot-cua-" + p.Code,
			})
			if err != nil {
				return fmt.Errorf("dossier %s at %s: %w", dossier, p.AgencyCode, err)
			}
			res := &lgspv1.BirthProcedureResponse{}
			if err := out.GetPayload().UnmarshalTo(res); err == nil && res.GetResult().GetCompleted() {
				completed.Add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	n := int64(cfg.Births)
	want := [3]int64{n, n * int64(provinces+1), n * int64(provinces)}
	var got [3]int64
	deadline := time.Now().Add(cfg.Settle)
	for {
		after, err := countedEvents(ctx, stats)
		if err != nil {
			return nil, err
		}
		for k := range got {
			got[k] = after[k] - before[k]
		}
		if got == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	return &BirthReport{
		Births: cfg.Births, Completed: completed.Load(), Provinces: provinces,
		BirthRegistered: got[0], PIDIssued: got[1], ChildCardIssued: got[2],
		Seconds: elapsed.Seconds(), PerSecond: float64(completed.Load()) / elapsed.Seconds(),
		Reconciled: got == want && completed.Load() == n,
	}, nil
}

func countProvinces(ctx context.Context, conn grpc.ClientConnInterface) (int, error) {
	resp, err := hubv1.NewRegistryServiceClient(conn).ListAgencies(ctx, &hubv1.ListAgenciesRequest{})
	if err != nil {
		return 0, fmt.Errorf("loadtest: list agencies: %w", err)
	}
	n := 0
	for _, a := range resp.GetAgencies() {
		if a.GetKind() == hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP {
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("loadtest: no province LGSP is registered (start the topology with ndxp up)")
	}
	return n, nil
}

// countedEvents is today's deliveries of birth-registered, pid-issued and
// child-card-issued.
func countedEvents(ctx context.Context, stats hubv1.StatsServiceClient) ([3]int64, error) {
	var out [3]int64
	resp, err := stats.GetStats(ctx, &hubv1.GetStatsRequest{Sync: true})
	if err != nil {
		return out, fmt.Errorf("loadtest: read the counters: %w", err)
	}
	for _, r := range resp.GetStats().GetRows() {
		switch r.GetService() {
		case events.TypeBirthRegistered:
			out[0] += r.GetCount()
		case events.TypePIDIssued:
			out[1] += r.GetCount()
		case events.TypeChildCardIssued:
			out[2] += r.GetCount()
		}
	}
	return out, nil
}
