package access

import (
	"regexp"
	"testing"

	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

var kvKey = regexp.MustCompile(`^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$`)

func TestKeyAndValidate(t *testing.T) {
	tests := []struct {
		name  string
		g     *hubv1.AccessGrant
		key   string
		field string
	}{
		{"consumer", &hubv1.AccessGrant{Provider: "000.00.01.G01", Service: "citizen-lookup", To: &hubv1.AccessGrant_Consumer{Consumer: "000.00.00.H29"}}, "000_00_01_G01.citizen-lookup.a.000_00_00_H29", ""},
		{"group, all services", &hubv1.AccessGrant{Provider: "000.00.01.G01", Service: "*", To: &hubv1.AccessGrant_Group{Group: hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP}}, "000_00_01_G01._all.k.2", ""},
		{"nil", nil, "", "grant"},
		{"bad provider", &hubv1.AccessGrant{Provider: "G01", Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: "000.00.00.H29"}}, "", "grant.provider"},
		{"bad service", &hubv1.AccessGrant{Provider: "000.00.01.G01", Service: "a.b", To: &hubv1.AccessGrant_Consumer{Consumer: "000.00.00.H29"}}, "", "grant.service"},
		{"nobody", &hubv1.AccessGrant{Provider: "000.00.01.G01", Service: "*"}, "", "grant.to"},
		{"unknown group", &hubv1.AccessGrant{Provider: "000.00.01.G01", Service: "*", To: &hubv1.AccessGrant_Group{Group: 0}}, "", "grant.group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.g)
			if tt.field != "" {
				fields := field.All(err)
				if len(fields) == 0 || fields[0].Field != tt.field {
					t.Fatalf("Validate = %v, want a field error on %s", err, tt.field)
				}
				return
			}
			if err != nil || Key(tt.g) != tt.key {
				t.Fatalf("Validate = %v, Key = %q; want nil, %q", err, Key(tt.g), tt.key)
			}
		})
	}
}

// FuzzGrant: every grant Validate accepts has a valid, distinct KV key.
func FuzzGrant(f *testing.F) {
	f.Add("000.00.01.G01", "citizen-lookup", "000.00.00.H29", int32(0))
	f.Add("000.00.01.G01", "*", "", int32(2))
	f.Add("x", "a.b", ">", int32(-1))
	f.Fuzz(func(t *testing.T, provider, service, consumer string, group int32) {
		g := &hubv1.AccessGrant{Provider: provider, Service: service}
		if consumer != "" {
			g.To = &hubv1.AccessGrant_Consumer{Consumer: consumer}
		} else {
			g.To = &hubv1.AccessGrant_Group{Group: hubv1.AgencyKind(group)}
		}
		if Validate(g) != nil {
			return
		}
		if k := Key(g); !kvKey.MatchString(k) {
			t.Fatalf("grant %v has key %q, not a valid KV key", g, k)
		}
	})
}
