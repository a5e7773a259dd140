package restapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/events"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

type fetchedEvents struct {
	Events []struct {
		Event struct {
			EventID  string `json:"eventId"`
			Delivery int    `json:"delivery"`
			Payload  struct {
				Type string `json:"@type"`
			} `json:"payload"`
		} `json:"event"`
		Ack string `json:"ack"`
	} `json:"events"`
}

// TestRESTEventsFetchAndAck: a subscriber that speaks only HTTP takes its
// events with POST /r1/events/{type}/fetch and acknowledges each with its
// token, with curl. Every event comes, in order; one not acknowledged
// comes again after the ack wait; each acknowledged one is counted once
// however often it is acknowledged; a token of another subscriber, or not
// a token, is refused naming "ack", and bad parameters naming theirs.
func TestRESTEventsFetchAndAck(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation(), hubtest.WithHubConfig(hub.Config{Events: events.Config{AckWait: 2 * time.Second}}))
	const sub, other = "000.00.00.H01", "000.00.00.H02"
	asSub, asOther := "Ndxp-Consumer: "+sub, "Ndxp-Consumer: "+other
	base := "/r1/events/" + events.TypeBirthRegistered
	for i := 1; i <= 3; i++ {
		r := curl(t, post(env, nil, base, fmt.Sprintf(`{"registrationRef": "KS-079-2026-00000%d", "childName": "Nguyễn Văn An", "dateOfBirth": "2026-12-01", "provinceCode": "079"}`, i),
			"Ndxp-Consumer: "+events.CivilRegistry, fmt.Sprintf("Ndxp-Message-Id: ev-f-%d", i))...)
		if r.status != http.StatusCreated {
			t.Fatalf("publish %d: status %d: %s", i, r.status, r.body)
		}
	}
	fetch := func(t *testing.T, who, query string) fetchedEvents {
		t.Helper()
		r := curl(t, post(env, nil, base+"/fetch"+query, "", who)...)
		if r.status != http.StatusOK {
			t.Fatalf("fetch%s: status %d: %s", query, r.status, r.body)
		}
		var got fetchedEvents
		r.decode(t, &got)
		return got
	}
	ack := func(t *testing.T, who, token string) reply {
		t.Helper()
		return curl(t, post(env, nil, base+"/ack", fmt.Sprintf(`{"ack": %q}`, token), who)...)
	}
	acked := func(t *testing.T, token, id string) {
		t.Helper()
		if r := ack(t, asSub, token); r.status != http.StatusOK || !strings.Contains(string(r.body), id) {
			t.Fatalf("ack of %s: status %d: %s", id, r.status, r.body)
		}
	}

	first := fetch(t, asSub, "?max=2&wait=10s")
	if len(first.Events) != 2 || first.Events[0].Event.EventID != "ev-f-1" || first.Events[1].Event.EventID != "ev-f-2" ||
		first.Events[0].Ack == "" || first.Events[0].Event.Payload.Type != "type.googleapis.com/ndxp.events.v1.BirthRegistered" {
		t.Fatalf("first fetch: %+v, want ev-f-1 and ev-f-2 with their payloads and acks", first)
	}
	acked(t, first.Events[0].Ack, "ev-f-1")
	acked(t, first.Events[0].Ack, "ev-f-1") // again: harmless, counted once

	refused := []struct {
		name, field, code string
		status            int
		args              []string
	}{
		{"another subscriber's ack", "ack", "INVALID_ARGUMENT", 400, post(env, nil, base+"/ack", fmt.Sprintf(`{"ack": %q}`, first.Events[1].Ack), asOther)},
		{"a made-up ack", "ack", "INVALID_ARGUMENT", 400, post(env, nil, base+"/ack", `{"ack": "$JS.ACK.NDXP_EVENTS.x.1.1.1.1.0"}`, asSub)},
		{"an empty ack", "ack", "INVALID_ARGUMENT", 400, post(env, nil, base+"/ack", `{}`, asSub)},
		{"an ack with a wildcard", "ack", "INVALID_ARGUMENT", 400, post(env, nil, base+"/ack", fmt.Sprintf(`{"ack": %q}`, first.Events[1].Ack+".>"), asSub)},
		{"an ack of its own consumer naming a sequence that is not a number", "ack", "INVALID_ARGUMENT", 400,
			post(env, nil, base+"/ack", fmt.Sprintf(`{"ack": %q}`, notANumber(first.Events[1].Ack)), asSub)},
		{"a max too large", "max", "INVALID_ARGUMENT", 400, post(env, nil, base+"/fetch?max=500", "", asSub)},
		{"a wait too long", "wait", "INVALID_ARGUMENT", 400, post(env, nil, base+"/fetch?wait=1h", "", asSub)},
		{"an unknown type", "", "NOT_FOUND", 404, post(env, nil, "/r1/events/no-such-type/fetch", "", asSub)},
	}
	for _, tt := range refused {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			r := curl(t, tt.args...)
			if r.status != tt.status || !strings.Contains(string(r.body), tt.code) || !strings.Contains(string(r.body), tt.field) {
				t.Fatalf("status %d: %s, want %d %s naming %q", r.status, r.body, tt.status, tt.code, tt.field)
			}
		})
	}

	// ev-f-2 and then ev-f-3 stay unacknowledged: each comes again after
	// the ack wait, and is acknowledged then.
	pending := map[string]bool{"ev-f-2": true, "ev-f-3": true}
	hubtest.Eventually(t, 60*time.Second, func() error {
		for _, f := range fetch(t, asSub, "?max=10&wait=1s").Events {
			id := f.Event.EventID
			if !pending[id] {
				return fmt.Errorf("fetched %s (delivery %d), acknowledged already", id, f.Event.Delivery)
			}
			if f.Event.Delivery >= 2 {
				acked(t, f.Ack, id)
				delete(pending, id)
			}
		}
		if len(pending) > 0 {
			return fmt.Errorf("%v not handed out again yet", pending)
		}
		return nil
	})
	if left := fetch(t, asSub, ""); len(left.Events) != 0 {
		t.Fatalf("after every ack, fetched %+v", left)
	}
	// The other subscriber has its own position: all three wait for it.
	if got := fetch(t, asOther, "?max=3&wait=10s"); len(got.Events) != 3 {
		t.Fatalf("the other subscriber fetched %+v, want all three", got)
	}
	hubtest.Eventually(t, 30*time.Second, func() error {
		resp, err := env.Stats.QueryRecords(t.Context(), &hubv1.QueryRecordsRequest{Agency: sub, Service: events.TypeBirthRegistered, PageSize: 100})
		if err != nil {
			return err
		}
		ids := map[string]int{}
		for _, rec := range resp.GetRecords() {
			ids[rec.GetMessageId()]++
		}
		if len(resp.GetRecords()) != 3 || len(ids) != 3 {
			return fmt.Errorf("records of %s's deliveries: %v, want each of the three events once", sub, ids)
		}
		return nil
	})
}

// notANumber is ack with its stream sequence ("$JS.ACK.<stream>.<consumer>.
// <delivered>.<stream seq>.<consumer seq>.<time>.<pending>") made a word.
func notANumber(ack string) string {
	toks := strings.Split(ack, ".")
	toks[len(toks)-4] = "x"
	return strings.Join(toks, ".")
}
