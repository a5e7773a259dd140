package restapi_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// validateOpenAPI checks doc with python3's openapi-spec-validator (the
// reference validator of OpenAPI 3.0 and 3.1 documents).
func validateOpenAPI(t *testing.T, doc []byte) {
	t.Helper()
	if err := exec.Command("python3", "-c", "import openapi_spec_validator").Run(); err != nil {
		need(t, "python3 with openapi-spec-validator (pip install openapi-spec-validator, or apt-get install python3-openapi-spec-validator)")
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-m", "openapi_spec_validator", file).CombinedOutput()
	if err != nil {
		t.Fatalf("openapi-spec-validator: %v\n%s", err, out)
	}
}

func TestRESTCatalogue(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: population.ServiceLookup, To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}, &hubv1.AccessGrant{
		Provider: population.Code, Service: population.ServiceVerify, To: &hubv1.AccessGrant_Group{Group: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP},
	}))

	t.Run("openapi.json is public, OpenAPI 3.1 and valid", func(t *testing.T) {
		r := curl(t, "--cacert", env.Certs().CAFile(), env.RESTURL()+"/r1/openapi.json")
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var doc struct {
			OpenAPI    string         `json:"openapi"`
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		r.decode(t, &doc)
		if doc.OpenAPI != "3.1.0" || doc.Paths["/r1/"+population.Code+"/"+population.ServiceLookup] == nil ||
			doc.Components.Schemas["ndxp.population.v1.LookupCitizenRequest"] == nil ||
			doc.Components.Schemas["ndxp.population.v1.LookupCitizenResponse"] == nil {
			t.Fatalf("the catalogue lacks the population lookup: %.500s", r.body)
		}
		for _, p := range []string{"/r1/events/{type}", "/r1/documents", "/r1/documents/inbox", "/r1/documents/inbox/{sequence}/ack", "/r1/documents/{sender}/{id}", "/r1/documents/{sender}/{id}/receipts"} {
			if doc.Paths[p] == nil {
				t.Fatalf("the catalogue lacks %s", p)
			}
		}
		if doc.Components.Schemas["ndxp.hub.v1.DocumentEnvelope"] == nil {
			t.Fatal("the catalogue lacks the document envelope's schema")
		}
		validateOpenAPI(t, r.body)
	})

	t.Run("allowed lists the caller's grants, over REST and gRPC", func(t *testing.T) {
		r := curl(t, append(as(env, consumer), env.RESTURL()+"/r1/allowed")...)
		var got struct {
			Services []struct {
				Provider string `json:"provider"`
				Service  struct {
					Code string `json:"code"`
				} `json:"service"`
			} `json:"services"`
		}
		r.decode(t, &got)
		var rest []string
		for _, s := range got.Services {
			rest = append(rest, s.Provider+"/"+s.Service.Code)
		}
		want := []string{population.Code + "/" + population.ServiceLookup, population.Code + "/" + population.ServiceVerify}
		if r.status != http.StatusOK || !slices.Equal(rest, want) {
			t.Fatalf("REST allowed %d %v, want %v: %s", r.status, rest, want, r.body)
		}
		resp, err := hubv1.NewAccessServiceClient(env.DialAs(t, consumer)).ListAllowed(context.Background(), &hubv1.ListAllowedRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var grpc []string
		for _, s := range resp.GetServices() {
			grpc = append(grpc, s.GetProvider()+"/"+s.GetService().GetCode())
		}
		if !slices.Equal(grpc, want) {
			t.Fatalf("gRPC ListAllowed %v, want %v", grpc, want)
		}
		// Hà Nội's LGSP has no grant of its own: only its kind's.
		r = curl(t, append(as(env, "000.00.00.H01"), env.RESTURL()+"/r1/allowed")...)
		got.Services = nil
		r.decode(t, &got)
		if r.status != http.StatusOK || len(got.Services) != 1 || got.Services[0].Service.Code != population.ServiceVerify {
			t.Fatalf("a province LGSP with its group's grant only: %d %s", r.status, r.body)
		}
	})
}

func TestRESTInsecurePlainHTTP(t *testing.T) {
	env := hubtest.Start(t)
	r := curl(t, "-H", "Ndxp-Consumer: "+consumer, "-H", "Ndxp-Purpose: p", "-H", "Ndxp-User-Id: u",
		"-d", `{"personalId": "`+knownID+`"}`, env.RESTURL()+"/r1/"+population.Code+"/"+population.ServiceLookup)
	if r.status != http.StatusOK {
		t.Fatalf("plain HTTP exchange: %d %s", r.status, r.body)
	}
	r = curl(t, env.RESTURL()+"/r1/openapi.json")
	if r.status != http.StatusOK {
		t.Fatalf("openapi: %d", r.status)
	}
	validateOpenAPI(t, r.body)
}
