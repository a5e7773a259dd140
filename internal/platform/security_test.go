package platform_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/internal/hubtest"
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

func TestNATSIsNotASideDoor(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity())
	connectAs := func(t *testing.T, code string) (*nats.Conn, *asyncErrors) {
		t.Helper()
		cfg, err := env.Certs().ClientTLS(code)
		if err != nil {
			t.Fatal(err)
		}
		errs := &asyncErrors{}
		nc, err := nats.Connect(env.NATSURL(), nats.Secure(cfg), nats.ErrorHandler(errs.handler))
		if err != nil {
			t.Fatalf("connect as %s: %v", code, err)
		}
		t.Cleanup(nc.Close)
		return nc, errs
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
		nc, errs := connectAs(t, "000.00.00.H29")
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
		nc, errs := connectAs(t, "000.00.00.H29")
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
		nc, errs := connectAs(t, "000.00.00.H29")
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
		nc, errs := connectAs(t, "000.00.00.H29")
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
