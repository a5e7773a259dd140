package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/nats-io/nuid"
)

// service is one instance of a NATS micro service: it speaks the protocol
// of nats.go's micro package (PING, INFO and STATS on $SRV.*, the
// Nats-Service-Error headers, the queue group "q") with the types micro
// exports, so `nats micro info|stats` and any micro client see a micro
// service.
//
// It replaces micro.AddService because micro runs an endpoint's handler on
// the subscription's goroutine, one request at a time, and takes its
// statistics when that handler returns. A node serves up to MaxConcurrent
// requests of an endpoint at once (providers answer in tens of
// milliseconds), so it must answer from other goroutines, which micro
// would count as instant successes: `nats micro stats` showed 0 errors
// and 2 µs per request. Here a request is counted when its answer is
// sent: requests, errors (every answer carrying Nats-Service-Error) and
// the processing time from its arrival to its answer.
type service struct {
	nc          *nats.Conn
	id          micro.ServiceIdentity
	description string
	started     time.Time

	mu        sync.Mutex // guards the fields below
	endpoints []*serviceEndpoint
	subs      []*nats.Subscription
	stopped   bool
}

// serviceEndpoint is an endpoint and its statistics (guarded by the
// service's mu).
type serviceEndpoint struct {
	info  micro.EndpointInfo
	stats micro.EndpointStats
}

// serviceConfig names a service instance, as micro.Config does.
type serviceConfig struct {
	Name, Version, Description string
	Metadata                   map[string]string
}

// newService subscribes the discovery subjects of a new instance of the
// service on nc.
func newService(nc *nats.Conn, cfg serviceConfig) (*service, error) {
	s := &service{
		nc:          nc,
		id:          micro.ServiceIdentity{Name: cfg.Name, ID: nuid.Next(), Version: cfg.Version, Metadata: cfg.Metadata},
		description: cfg.Description,
		started:     time.Now().UTC(),
	}
	if s.id.Metadata == nil {
		s.id.Metadata = map[string]string{}
	}
	for verb, answer := range map[micro.Verb]func() any{
		micro.PingVerb:  func() any { return micro.Ping{ServiceIdentity: s.id, Type: micro.PingResponseType} },
		micro.InfoVerb:  func() any { return s.Info() },
		micro.StatsVerb: func() any { return s.Stats() },
	} {
		if err := s.handleVerb(verb, answer); err != nil {
			return nil, errors.Join(err, s.Stop())
		}
	}
	return s, nil
}

// handleVerb answers verb on its three subjects: all services, this
// service's name, this instance.
func (s *service) handleVerb(verb micro.Verb, answer func() any) error {
	for _, q := range [][2]string{{"", ""}, {s.id.Name, ""}, {s.id.Name, s.id.ID}} {
		subject, err := micro.ControlSubject(verb, q[0], q[1])
		if err != nil {
			return err
		}
		sub, err := s.nc.Subscribe(subject, func(m *nats.Msg) {
			b, err := json.Marshal(answer())
			if err != nil {
				_ = m.RespondMsg(&nats.Msg{Header: nats.Header{micro.ErrorHeader: {err.Error()}, micro.ErrorCodeHeader: {"500"}}})
				return
			}
			_ = m.Respond(b)
		})
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", subject, err)
		}
		s.addSub(sub)
	}
	return nil
}

func (s *service) addSub(sub *nats.Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = append(s.subs, sub)
}

// AddEndpoint serves subject in micro's queue group with h, which is
// called on the subscription's goroutine with the endpoint and the
// request, and must answer each request through answer, possibly from
// another goroutine.
func (s *service) AddEndpoint(name, subject string, metadata map[string]string, h func(*serviceEndpoint, *nats.Msg)) error {
	e := &serviceEndpoint{
		info:  micro.EndpointInfo{Name: name, Subject: subject, QueueGroup: micro.DefaultQueueGroup, Metadata: metadata},
		stats: micro.EndpointStats{Name: name, Subject: subject, QueueGroup: micro.DefaultQueueGroup},
	}
	sub, err := s.nc.QueueSubscribe(subject, micro.DefaultQueueGroup, func(m *nats.Msg) { h(e, m) })
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = append(s.subs, sub)
	s.endpoints = append(s.endpoints, e)
	return nil
}

// answer publishes the answer to a request of e that arrived at start,
// and counts it: an answer with a Nats-Service-Error header is an error.
func (s *service) answer(e *serviceEndpoint, req *nats.Msg, start time.Time, resp *nats.Msg) error {
	defer s.count(e, start, resp.Header)
	if req.Reply == "" {
		return errors.New("node: request has no reply subject")
	}
	resp.Subject = req.Reply
	return s.nc.PublishMsg(resp)
}

func (s *service) count(e *serviceEndpoint, start time.Time, h nats.Header) {
	took := time.Since(start)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &e.stats
	st.NumRequests++
	st.ProcessingTime += took
	st.AverageProcessingTime = st.ProcessingTime / time.Duration(st.NumRequests)
	if desc := h.Get(micro.ErrorHeader); desc != "" {
		st.NumErrors++
		// micro's own format for LastError: "<code>:<description>".
		st.LastError = h.Get(micro.ErrorCodeHeader) + ":" + desc
	}
}

// Info is what INFO answers.
func (s *service) Info() micro.Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	eps := make([]micro.EndpointInfo, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		info := e.info
		info.Metadata = maps.Clone(info.Metadata)
		eps = append(eps, info)
	}
	return micro.Info{ServiceIdentity: s.id, Type: micro.InfoResponseType, Description: s.description, Endpoints: eps}
}

// Stats is what STATS answers.
func (s *service) Stats() micro.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	eps := make([]*micro.EndpointStats, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		st := e.stats
		eps = append(eps, &st)
	}
	return micro.Stats{ServiceIdentity: s.id, Type: micro.StatsResponseType, Started: s.started, Endpoints: eps}
}

// Stop drains every subscription: requests already received are still
// handed to the endpoints' handlers, no new ones arrive.
func (s *service) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	var errs []error
	for _, sub := range s.subs {
		if err := sub.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("drain %s: %w", sub.Subject, err))
		}
	}
	return errors.Join(errs...)
}
