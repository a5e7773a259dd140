package loadtest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/population/synth"
	documentv1 "github.com/ndxp/ndxp/proto/ndxp/document/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// ErrNoServices means none of the profile's services is registered at the
// hub, so nothing can be sent.
var ErrNoServices = errors.New("loadtest: none of the profile's services is registered at the hub")

// service is one service of the mix the run actually uses.
type service struct {
	ref, provider, code, requestType string
	weight                           float64
	payload                          PayloadFunc
	// hops is how many transactions the hub counts per exchange sent: 1
	// plus the nested hops the provider makes (nestedHops).
	hops int64
}

// job is one transaction to send.
type job struct {
	seq      int64
	day      int
	svc      int
	consumer int
	business time.Time
	due      time.Time // zero at --speed max: latency counts from the send
	nested   int64     // nested hops the provider makes (hops - 1)
}

// runner holds what the drivers share.
type runner struct {
	cfg       Config
	log       *zap.Logger
	conns     []grpc.ClientConnInterface
	days      []DayPlan
	services  []service
	consumers []string
	col       *collector
	results   chan result
	retries   sync.WaitGroup // stream transactions retried by unary calls
}

// Run replays cfg.Profile against the hub behind conns (one stream or one
// share of the unary workers per connection; conns[0] also serves the
// registry and stats calls) and returns the report. Cancelling ctx stops
// scheduling new transactions; those in flight finish (each bounded by
// cfg.Timeout) and the partial run is still reconciled, so the report is
// complete for what was sent. The error is non-nil only when the run
// could not start; a failed run is a report with Green false.
func Run(ctx context.Context, cfg Config, conns []grpc.ClientConnInterface, log *zap.Logger) (*Report, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(conns) == 0 {
		return nil, fmt.Errorf("%w: no connection to the hub", ErrConfig)
	}
	if cfg.RunID == "" {
		cfg.RunID = "lt" + strconv.FormatUint(rand.Uint64(), 36)
	}
	days, err := plan(cfg.Profile, cfg.StartDay, cfg.Days, cfg.Scale)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, log: log, conns: conns, days: days}
	r.consumers, _ = consumerSpread(cfg.Profile.Consumers, cfg.Profile.MinistryShare)
	if err := r.resolveMix(ctx); err != nil {
		return nil, err
	}
	var before []dayCount
	if !cfg.SkipReconcile {
		if before, err = r.readCounts(ctx); err != nil {
			return nil, err
		}
	}
	return r.run(ctx, before), nil
}

// resolveMix keeps the services of the profile's mix that the hub has
// registered, with their request types.
func (r *runner) resolveMix(ctx context.Context) error {
	resp, err := hubv1.NewRegistryServiceClient(r.conns[0]).ListAgencies(ctx, &hubv1.ListAgenciesRequest{})
	if err != nil {
		return fmt.Errorf("loadtest: list the hub's agencies: %w", err)
	}
	registered := map[string]string{}
	var names []string
	for _, a := range resp.GetAgencies() {
		for _, s := range a.GetServices() {
			registered[a.GetCode()+"/"+s.GetCode()] = s.GetRequestType()
			names = append(names, a.GetCode()+"/"+s.GetCode())
		}
	}
	payloads := defaultPayloads(synth.Population{Seed: 1}, r.payloadKey())
	for k, f := range r.cfg.Payloads {
		payloads[k] = f
	}
	var wanted []string
	for _, m := range r.cfg.Profile.Mix {
		wanted = append(wanted, m.Service)
		rt, ok := registered[m.Service]
		if !ok {
			continue
		}
		prov, code, _ := strings.Cut(m.Service, "/")
		pf := payloads[rt]
		if pf == nil && rt != "" {
			pf = reflectPayload(synth.Population{Seed: 1}, rt)
		}
		r.services = append(r.services, service{ref: m.Service, provider: prov, code: code, requestType: rt, weight: m.Weight, payload: pf, hops: hopsOf(m.Service)})
	}
	if len(r.services) == 0 {
		slices.Sort(names)
		return fmt.Errorf("%w: the profile %q calls %s; the hub has %s",
			ErrNoServices, r.cfg.Profile.Name, strings.Join(wanted, ", "), orNone(names))
	}
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no services registered"
	}
	return strings.Join(s, ", ")
}

// run sends the planned transactions and builds the report.
func (r *runner) run(ctx context.Context, before []dayCount) *Report {
	start := time.Now()
	r.col = newCollector(start, len(r.services), len(r.days))
	r.results = make(chan result, resultQueue)
	collected := make(chan struct{})
	go func() { r.col.run(r.results); close(collected) }()
	stopProgress := r.startProgress(start)

	jobs := make(chan job, r.cfg.Concurrency)
	gctx, stopGenerating := context.WithCancel(ctx)
	defer stopGenerating()
	go r.generate(gctx, start, jobs)
	if r.cfg.Mode == ModeStream {
		r.stream(jobs)
	} else {
		r.unary(jobs)
	}
	stopGenerating() // if every stream broke, nothing reads jobs any more
	r.retries.Wait()
	close(r.results)
	<-collected
	r.col.finish()
	elapsed := time.Since(start)
	stopProgress()

	rep := r.report(start, elapsed, ctx.Err() != nil)
	if !r.cfg.SkipReconcile {
		// The interrupt must not stop the reading of the counters.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		after, err := r.readCounts(rctx)
		r.reconcile(rep, before, after, err)
	}
	rep.judge(r.cfg)
	return rep
}

// generate schedules the planned transactions on jobs, in business-time
// order, and closes jobs when done or when ctx is cancelled.
func (r *runner) generate(ctx context.Context, start time.Time, jobs chan<- job) {
	defer close(jobs)
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 0x6c6f6164))
	svcs := newHopPicker(r.services)
	_, cw := consumerSpread(r.cfg.Profile.Consumers, r.cfg.Profile.MinistryShare)
	cons := consumerPickers(r.consumers, cw, r.services)
	clock := newDayClock(r.cfg.Profile.Curve.Hourly)
	var seq int64
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for d, day := range r.days {
		// k counts the day's transactions, nested hops included, so that
		// the hub's count of the day is the plan's.
		for k := int64(0); k < day.Planned; {
			off := clock.offset(k, day.Planned)
			svc := svcs.pick(day.Planned - k)
			if svc < 0 {
				break
			}
			k += r.services[svc].hops
			j := job{seq: seq, day: d, svc: svc, consumer: cons[svc].pick(rng), business: day.start.Add(off), nested: r.services[svc].hops - 1}
			seq++
			if r.cfg.Speed > 0 {
				sim := time.Duration(d)*24*time.Hour + off
				j.due = start.Add(time.Duration(float64(sim) / r.cfg.Speed))
				if wait := time.Until(j.due); wait > time.Millisecond {
					timer.Reset(wait)
					select {
					case <-ctx.Done():
						return
					case <-timer.C:
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case jobs <- j:
			}
		}
	}
}

// request builds the exchange of j; rng belongs to the caller.
func (r *runner) request(j job, rng *rand.Rand) (*hubv1.ExchangeRequest, error) {
	s := &r.services[j.svc]
	req := &hubv1.ExchangeRequest{
		MessageId: r.cfg.RunID + "-" + strconv.FormatInt(j.seq, 36),
		Consumer:  r.consumers[j.consumer], Provider: s.provider, Service: s.code,
		BusinessTime: timestamppb.New(j.business),
		Purpose:      "load test " + r.cfg.RunID, UserId: "ndxp-loadtest",
	}
	switch {
	case s.payload != nil:
		p, err := anypb.New(notToSelf(s.payload, rng, req.Consumer))
		if err != nil {
			return nil, err
		}
		req.Payload = p
	case s.requestType != "":
		req.Payload = &anypb.Any{TypeUrl: typeURL(s.requestType)}
	}
	return req, nil
}

// origin is where a transaction's latency starts: its due time when
// paced and sent late (so waiting for a worker or a stream slot counts),
// else the moment it is sent (at --speed max, or when the generator sent
// it up to a millisecond early rather than sleep).
func origin(j job) time.Time {
	now := time.Now()
	if j.due.IsZero() || now.Before(j.due) {
		return now
	}
	return j.due
}

// dayCount is what the hub counted on a day: everything, and the nested
// hops of the mix's services (see nestedHops) among it.
type dayCount struct {
	all                     *hubv1.Count
	nested, nestedSucceeded int64
}

// readCounts reads the hub's counters of every planned day, after the hub
// has applied every stored record.
func (r *runner) readCounts(ctx context.Context) ([]dayCount, error) {
	stats := hubv1.NewStatsServiceClient(r.conns[0])
	out := make([]dayCount, len(r.days))
	for i, d := range r.days {
		resp, err := stats.GetStats(ctx, &hubv1.GetStatsRequest{Day: d.Day, Sync: true})
		if err != nil {
			return nil, fmt.Errorf("loadtest: read the hub's counters of %s: %w", d.Day, err)
		}
		out[i].all = resp.GetStats().GetCount()
		for _, row := range resp.GetStats().GetRows() {
			if isNested(row) {
				out[i].nested += row.GetCount()
				if row.GetCode() == codes.OK.String() {
					out[i].nestedSucceeded += row.GetCount()
				}
			}
		}
	}
	return out, nil
}

// workerRand is a per-goroutine random source of payloads derived from
// the seed and the run id: runs with different ids send different data,
// so a second run against the same simulators does not register the same
// deaths or issue the same cards again.
func (r *runner) workerRand(i int) *rand.Rand {
	return rand.New(rand.NewPCG(r.payloadKey(), uint64(i)+1))
}

// payloadKey is the seed of the run's payloads: the seed and the run id.
func (r *runner) payloadKey() uint64 {
	h := fnv.New64a()
	h.Write([]byte(r.cfg.RunID))
	return r.cfg.Seed ^ h.Sum64()
}

// sortedServices lists service indexes by descending weight.
func (r *runner) sortedServices() []int {
	idx := make([]int, len(r.services))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return r.services[idx[a]].weight > r.services[idx[b]].weight })
	return idx
}

// notToSelf draws a payload of f, drawing again (a few times) a document
// addressed to the consumer sending it, which the axis refuses.
func notToSelf(f PayloadFunc, rng *rand.Rand, consumer string) proto.Message {
	m := f(rng)
	for range 8 {
		d, ok := m.(*documentv1.SendDocumentRequest)
		if !ok || d.GetRecipientCode() != consumer {
			break
		}
		m = f(rng)
	}
	return m
}
