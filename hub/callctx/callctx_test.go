package callctx_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ndxp/ndxp/hub/callctx"
)

// TestMACToken: a hub holding the platform's hub key checks the hmac1
// tokens of any hub holding the same key; a token under another key, an
// edited one, or one presented to a verifier without the key is refused.
func TestMACToken(t *testing.T) {
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	hubKey, other := key(), key()
	mac := callctx.MACKey(hubKey)
	if len(mac) == 0 || string(mac) != string(callctx.MACKey(hubKey)) {
		t.Fatal("MACKey is not a deterministic key of the hub key")
	}
	now := time.Now()
	bt := now.Add(-24 * time.Hour)
	issue := func(i callctx.Issuer) string {
		tok, err := i.Issue("parent-1", "000.00.00.H29", "000.00.01.G01", bt, now)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := issue(callctx.Issuer{Key: hubKey, MAC: mac, Hub: "a"})
	if !strings.Contains(good, ".hmac1.") {
		t.Fatalf("token %q is not of the hmac1 form", good)
	}
	// Roots make a verifier a secure one; the hmac1 form needs no
	// certificate.
	secure := func(mac []byte) *callctx.Verifier {
		return &callctx.Verifier{Roots: x509Pool(t), MAC: mac}
	}
	c, err := secure(mac).Verify(good, "000.00.01.G01", now)
	if err != nil || c.Parent != "parent-1" || c.Consumer != "000.00.00.H29" || !c.BusinessTime.Equal(bt.UTC()) {
		t.Fatalf("genuine token: claims %+v, err %v", c, err)
	}
	if p := callctx.Provider(good); p != "000.00.01.G01" {
		t.Fatalf("Provider(token) = %q, want 000.00.01.G01", p)
	}
	parts := strings.Split(good, ".")
	forged := issue(callctx.Issuer{Key: other, MAC: callctx.MACKey(other)})
	edited := strings.Split(issue(callctx.Issuer{}), ".")[0] + "." + parts[1] + "." + parts[2]
	for _, c := range []struct {
		name, token string
		v           *callctx.Verifier
	}{
		{"another key", forged, secure(mac)},
		{"claims edited", edited, secure(mac)},
		{"verifier without the key", good, secure(nil)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.v.Verify(c.token, "000.00.01.G01", now); !errors.Is(err, callctx.ErrSignature) {
				t.Fatalf("err %v, want ErrSignature", err)
			}
		})
	}
}

func x509Pool(t *testing.T) *x509.CertPool {
	t.Helper()
	return x509.NewCertPool()
}
