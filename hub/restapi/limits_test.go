package restapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/restapi"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestRESTBodyTooLarge serves the ingress with a small body limit over
// the real hub: a larger body is 413, and still a refused exchange on
// record.
func TestRESTBodyTooLarge(t *testing.T) {
	env := hubtest.Start(t)
	srv := httptest.NewServer(restapi.New(env.Hub(), restapi.Config{MaxBody: 64}, zaptest.NewLogger(t)))
	t.Cleanup(srv.Close)
	big := `{"personalId": "` + strings.Repeat("1", 100) + `"}`
	r := curl(t, "-H", "Ndxp-Consumer: "+consumer, "-H", "Ndxp-Message-Id: too-big", "-d", big,
		srv.URL+"/r1/"+population.Code+"/"+population.ServiceLookup)
	var e struct{ Code string }
	r.decode(t, &e)
	if r.status != http.StatusRequestEntityTooLarge || e.Code != "RESOURCE_EXHAUSTED" {
		t.Fatalf("%d %s, want 413", r.status, r.body)
	}
	hubtest.Eventually(t, 20*time.Second, func() error {
		st, err := env.Hub().Stats(context.Background(), vn.Day(time.Now()), true)
		if err != nil {
			return err
		}
		if st.GetCount().GetFailed() != 1 {
			return fmt.Errorf("counted %v, want the refusal", st.GetCount())
		}
		return nil
	})
}

// TestRESTOperator: the operator's certificate acts for the consumer
// Ndxp-Consumer names, whose grants apply.
func TestRESTOperator(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	op := as(env, pki.Operator)
	path := "/r1/" + population.Code + "/" + population.ServiceLookup
	who := []string{"Ndxp-Purpose: p", "Ndxp-User-Id: u"}
	if r := curl(t, post(env, op, path, `{"personalId": "`+knownID+`"}`, append(who, "Ndxp-Consumer: "+consumer)...)...); r.status != http.StatusOK {
		t.Fatalf("the operator for %s: %d %s", consumer, r.status, r.body)
	}
	if r := curl(t, post(env, op, path, `{"personalId": "`+knownID+`"}`, append(who, "Ndxp-Consumer: 000.00.00.H01")...)...); r.status != http.StatusForbidden {
		t.Fatalf("the operator for an agency without a grant: %d %s, want 403", r.status, r.body)
	}
}
