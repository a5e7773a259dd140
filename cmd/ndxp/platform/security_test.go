package platform_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/wire"
)

// asyncErrors collects a NATS connection's asynchronous errors.
type asyncErrors struct {
	mu   sync.Mutex
	errs []error
}

func (a *asyncErrors) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, err)
}

// find returns nil once an error mentioning all of words was seen.
func (a *asyncErrors) find(words ...string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.errs {
		s := strings.ToLower(e.Error())
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(s, strings.ToLower(w))
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("no error mentioning %q among %v", words, a.errs)
}

func (a *asyncErrors) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.errs)
}

// connectAs connects to the NATS at url with name's certificate of certs
// and collects the asynchronous errors the server sends it (permission
// violations); the connection is closed when t ends.
func connectAs(t *testing.T, certs pki.Dir, url, name string) (*nats.Conn, *asyncErrors) {
	t.Helper()
	cfg, err := certs.ClientTLS(name)
	if err != nil {
		t.Fatal(err)
	}
	errs := &asyncErrors{}
	nc, err := nats.Connect(url, nats.Secure(cfg), nats.ErrorHandler(errs.handler))
	if err != nil {
		t.Fatalf("connect as %s: %v", name, err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

func TestNATSIsNotASideDoor(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity())
	connect := func(t *testing.T, code string) (*nats.Conn, *asyncErrors) {
		return connectAs(t, env.Certs(), env.NATSURL(), code)
	}
	popSubject, err := wire.ServiceSubject(population.Code, population.ServiceLookup)
	if err != nil {
		t.Fatal(err)
	}
	popAll, _ := wire.AgencySubjects(population.Code)

	t.Run("no certificate, no connection", func(t *testing.T) {
		if nc, err := nats.Connect(env.NATSURL()); err == nil {
			nc.Close()
			t.Fatal("connected to NATS without a certificate")
		}
	})
	t.Run("an agency serves its own subjects", func(t *testing.T) {
		nc, errs := connect(t, "000.00.00.H29")
		own, _ := wire.AgencySubjects("000.00.00.H29")
		if _, err := nc.QueueSubscribe(own, "q", func(*nats.Msg) {}); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil || errs.count() != 0 {
			t.Fatalf("subscribing to its own subjects: %v, %v", err, errs.errs)
		}
	})
	t.Run("cannot eavesdrop on another agency", func(t *testing.T) {
		nc, errs := connect(t, "000.00.00.H29")
		for _, subj := range []string{popAll, popSubject, ">", "ndxp.>", "ndxp.tx.>"} {
			if _, err := nc.Subscribe(subj, func(*nats.Msg) {}); err != nil {
				t.Fatal(err)
			}
			hubtest.Eventually(t, 10*time.Second, func() error {
				return errs.find("permissions violation", "subscription", subj)
			})
		}
	})
	t.Run("cannot inject into another agency", func(t *testing.T) {
		nc, errs := connect(t, "000.00.00.H29")
		if err := nc.Publish(popSubject, []byte("forged")); err != nil {
			t.Fatal(err)
		}
		hubtest.Eventually(t, 10*time.Second, func() error {
			return errs.find("permissions violation", "publish", popSubject)
		})
		_, err := nc.Request(popSubject, []byte("forged"), 2*time.Second)
		if err == nil {
			t.Fatal("a request from one agency to another over NATS was answered")
		}
	})
	t.Run("cannot reach JetStream", func(t *testing.T) {
		nc, errs := connect(t, "000.00.00.H29")
		_, err := nc.Request("$JS.API.STREAM.INFO.NDXP_TX", nil, 2*time.Second)
		if err == nil {
			t.Fatal("an agency reached the JetStream API")
		}
		if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrPermissionViolation) {
			t.Logf("JetStream request refused with %v", err)
		}
		hubtest.Eventually(t, 10*time.Second, func() error { return errs.find("permissions violation") })
	})
}

// TestDiscoveryIsOwnOnly: an agency's certificate may take part in nats.go
// micro discovery for its own service only. It cannot subscribe to another
// agency's discovery subjects (nor to $SRV.>, which the wildcard allow
// entries used to let through as a literal token), so it never sees the
// operator's discovery request for another agency and cannot answer it
// with a forged INFO; the name-less broadcasts, which any agency could
// answer in another's name, cannot be sent at all. Discovery by name
// still reaches the agency's own nodes.
func TestDiscoveryIsOwnOnly(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity())
	connect := func(t *testing.T, name string) (*nats.Conn, *asyncErrors) {
		return connectAs(t, env.Certs(), env.NATSURL(), name)
	}
	popSvc := wire.ServiceName(population.Code)
	attacker, attackerErrs := connect(t, "000.00.00.H29")
	operator, operatorErrs := connect(t, pki.Operator)

	var stolen []*nats.Subscription
	for _, subj := range []string{"$SRV.>", "$SRV.*", "$SRV.*.>", "$SRV.INFO.>", "$SRV.INFO.*", "$SRV.INFO." + popSvc, "$SRV.INFO." + popSvc + ".*", "$SRV.PING." + popSvc} {
		sub, err := attacker.SubscribeSync(subj)
		if err != nil {
			t.Fatal(err)
		}
		stolen = append(stolen, sub)
		hubtest.Eventually(t, 10*time.Second, func() error {
			return attackerErrs.find("permissions violation", "subscription", subj)
		})
	}
	own := wire.ServiceName("000.00.00.H29")
	for _, subj := range []string{"$SRV.PING." + own, "$SRV.INFO." + own + ".someid"} {
		if _, err := attacker.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
	}
	if err := attacker.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := attackerErrs.find(own); err == nil {
		t.Fatalf("an agency may not subscribe to its own discovery subjects: %v", attackerErrs.errs)
	}

	t.Run("the operator's INFO request reaches only the provider", func(t *testing.T) {
		inbox, err := operator.SubscribeSync(operator.NewInbox())
		if err != nil {
			t.Fatal(err)
		}
		if err := operator.PublishRequest("$SRV.INFO."+popSvc, inbox.Subject, nil); err != nil {
			t.Fatal(err)
		}
		if err := operator.Flush(); err != nil {
			t.Fatal(err)
		}
		msg, err := inbox.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var info micro.Info
		if err := json.Unmarshal(msg.Data, &info); err != nil || info.Metadata["agency"] != population.Code {
			t.Fatalf("INFO answer %s: %v", msg.Data, err)
		}
		// Every message the server routed to the attacker before the
		// operator's flush is in its subscriptions once its own flush
		// returns; any forged answer, once the attacker has flushed, is in
		// the operator's inbox after the operator's flush.
		if err := attacker.Flush(); err != nil {
			t.Fatal(err)
		}
		for _, sub := range stolen {
			for {
				m, err := sub.NextMsg(0)
				if err != nil {
					break
				}
				t.Errorf("the attacker received %s on %s", m.Subject, sub.Subject)
				forged, _ := json.Marshal(micro.Info{ServiceIdentity: micro.ServiceIdentity{Name: popSvc, ID: "forged", Metadata: map[string]string{"agency": population.Code}}})
				_ = m.Respond(forged)
			}
		}
		if err := attacker.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := operator.Flush(); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := inbox.Pending(); n != 0 {
			m, _ := inbox.NextMsg(0)
			t.Fatalf("the operator received %d more answers, e.g. %s", n, m.Data)
		}
	})
	t.Run("discovery by name and id reaches the agency's own node", func(t *testing.T) {
		msg, err := operator.Request("$SRV.PING."+popSvc, nil, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var ping micro.Ping
		if err := json.Unmarshal(msg.Data, &ping); err != nil || ping.Name != popSvc || ping.ID == "" {
			t.Fatalf("PING answer %s: %v", msg.Data, err)
		}
		subj, err := micro.ControlSubject(micro.StatsVerb, popSvc, ping.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := operator.Request(subj, nil, 10*time.Second); err != nil {
			t.Fatalf("%s: %v", subj, err)
		}
	})
	t.Run("broadcast discovery is refused", func(t *testing.T) {
		for _, v := range []micro.Verb{micro.PingVerb, micro.InfoVerb, micro.StatsVerb} {
			subj, _ := micro.ControlSubject(v, "", "")
			if err := operator.PublishRequest(subj, operator.NewInbox(), nil); err != nil {
				t.Fatal(err)
			}
			hubtest.Eventually(t, 10*time.Second, func() error {
				return operatorErrs.find("permissions violation", "publish", subj)
			})
		}
	})
}

// TestSystemAccount: the operator's certificate reaches the system
// account's server requests, so `nats server ls`, `nats server info` and
// `nats server report jetstream` work; the requests that change a server
// do not reach it, and an agency reaches none.
func TestSystemAccount(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithoutPopulation())
	connect := func(t *testing.T, name string) (*nats.Conn, *asyncErrors) {
		return connectAs(t, env.Certs(), env.NATSURL(), name)
	}
	operator, _ := connect(t, pki.Operator)
	var id string
	for _, subj := range []string{"$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.PING.STATSZ", "$SYS.REQ.SERVER.PING.VARZ", "$SYS.REQ.SERVER.PING.JSZ"} {
		msg, err := operator.Request(subj, nil, 10*time.Second)
		if err != nil {
			t.Fatalf("operator: %s: %v", subj, err)
		}
		var answer struct {
			Server struct{ Name, ID string }
			Error  json.RawMessage
		}
		if err := json.Unmarshal(msg.Data, &answer); err != nil || answer.Server.ID == "" || len(answer.Error) != 0 {
			t.Fatalf("operator: %s answered %.300s (%v)", subj, msg.Data, err)
		}
		id = answer.Server.ID
	}
	if _, err := operator.Request("$SYS.REQ.SERVER."+id+".VARZ", nil, 10*time.Second); err != nil {
		t.Fatalf("operator: VARZ of server %s: %v", id, err)
	}
	for _, subj := range []string{"$SYS.REQ.SERVER." + id + ".RELOAD", "$SYS.REQ.SERVER." + id + ".KICK", "$SYS.REQ.SERVER." + id + ".LDM"} {
		if _, err := operator.Request(subj, []byte(`{}`), time.Second); !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
			t.Errorf("operator: %s: %v, want no answer", subj, err)
		}
	}
	agency, agencyErrs := connect(t, "000.00.00.H29")
	if _, err := agency.Request("$SYS.REQ.SERVER.PING", nil, time.Second); err == nil {
		t.Fatal("an agency reached the system account")
	}
	hubtest.Eventually(t, 10*time.Second, func() error {
		return agencyErrs.find("permissions violation", "publish", "$SYS.REQ.SERVER.PING")
	})
}
