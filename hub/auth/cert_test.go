package auth

import (
	"crypto/x509"
	"errors"
	"net/url"
	"testing"

	"github.com/ndxp/ndxp/internal/wire"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		uri    string
		want   Identity
		errNil bool
	}{
		{"urn:ndxp:agency:000.00.00.H29", Identity{Role: RoleAgency, Agency: "000.00.00.H29", Subject: "urn:ndxp:agency:000.00.00.H29"}, true},
		{"urn:ndxp:operator", Identity{Role: RoleOperator, Subject: "urn:ndxp:operator"}, true},
		{"urn:ndxp:hub", Identity{Role: RoleHub, Subject: "urn:ndxp:hub"}, true},
		{"urn:ndxp:agency:000.00.00.h29", Identity{}, false},
		{"urn:ndxp:agency:000.00.00.H29.evil", Identity{}, false},
		{"urn:ndxp:agency:", Identity{}, false},
		{"https://example.org/000.00.00.H29", Identity{}, false},
		{"", Identity{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := ParseURI(tt.uri)
			if (err == nil) != tt.errNil {
				t.Fatalf("ParseURI(%q) error = %v, want error: %v", tt.uri, err, !tt.errNil)
			}
			if err != nil && !errors.Is(err, ErrNoIdentity) {
				t.Errorf("error %v does not wrap ErrNoIdentity", err)
			}
			if got != tt.want {
				t.Errorf("ParseURI(%q) = %+v, want %+v", tt.uri, got, tt.want)
			}
		})
	}
}

func TestFromCertificate(t *testing.T) {
	u := func(s ...string) []*url.URL {
		var out []*url.URL
		for _, x := range s {
			p, err := url.Parse(x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}
	tests := []struct {
		name  string
		uris  []*url.URL
		agent string
		ok    bool
	}{
		{"agency", u("urn:ndxp:agency:000.00.01.G01"), "000.00.01.G01", true},
		{"other URIs ignored", u("spiffe://x/y", "urn:ndxp:agency:000.00.01.G01"), "000.00.01.G01", true},
		{"none", nil, "", false},
		{"two identities", u("urn:ndxp:agency:000.00.01.G01", "urn:ndxp:agency:000.00.00.H29"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := FromCertificate(&x509.Certificate{URIs: tt.uris})
			if (err == nil) != tt.ok || id.Agency != tt.agent {
				t.Errorf("FromCertificate = %+v, %v; want agency %q ok %v", id, err, tt.agent, tt.ok)
			}
		})
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"urn:ndxp:agency:000.00.00.H29", "urn:ndxp:operator", "urn:ndxp:hub", "urn:ndxp:agency:", "x", "urn:ndxp:agency:000.00.00.H29\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseURI(s)
		if err != nil {
			if id != (Identity{}) {
				t.Fatalf("ParseURI(%q) returned %+v with error %v", s, id, err)
			}
			return
		}
		if id.Role == RoleAgency && wire.AgencyURI(id.Agency) != s {
			t.Fatalf("ParseURI(%q) = agency %q, which does not round-trip", s, id.Agency)
		}
		if id.Role != RoleAgency && id.Agency != "" {
			t.Fatalf("ParseURI(%q): non-agency role with agency %q", s, id.Agency)
		}
	})
}

// FuzzFromCertificate parses arbitrary DER and maps what parses: no
// panic, and an agency identity always has a valid, round-tripping code.
func FuzzFromCertificate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, der []byte) {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		id, err := FromCertificate(cert)
		if err == nil && id.Role == RoleAgency {
			if _, err := ParseURI(wire.AgencyURI(id.Agency)); err != nil {
				t.Fatalf("identity %+v does not round-trip: %v", id, err)
			}
		}
	})
}
