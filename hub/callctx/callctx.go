// Package callctx issues and checks the context tokens that let a provider
// make nested exchanges on behalf of the exchange it is serving.
//
// When a hub forwards an exchange to a provider it sends, beside the
// business time, a short token signed with the hub certificate's key
// (ECDSA) that binds the parent message id, the provider it was sent to,
// the business time and an expiry a few minutes ahead. The provider's SDK
// (adapters/node) carries the token on every exchange it makes while
// serving that request; a hub, this one or another of the platform, then
// counts such a nested exchange at the parent's business time instead of
// at its own clock, but only when the token verifies against the CA, names
// the caller as the provider and has not expired. Only the operator may
// otherwise choose a business time (see hub.maySetBusinessTime).
//
// A token is three base64url (unpadded) parts joined by dots:
//
//	<claims JSON>.<signer certificate, DER>.<ECDSA ASN.1 signature of SHA-256(claims JSON)>
//
// On an insecure platform (no keys) the last two parts are empty: the
// token is a plain value, which an insecure hub accepts as it trusts every
// caller anyway.
//
// A hub that holds the platform's hub key issues the cheaper form
//
//	<claims JSON>.hmac1.<HMAC-SHA-256 of the claims JSON>
//
// keyed by MACKey(hub key): signing an ECDSA token on every exchange cost
// as much CPU as the rest of the hub's work (issue 10). Every hub that
// holds the same hub key (hubs share the certificate folder, see
// deploy/README.md) checks it; agencies never hold that key, so they can
// no more forge it than the signed form. The signed form is still
// accepted, from a hub with another certificate of the same CA.
package callctx

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ndxp/ndxp/hub/auth"
)

// DefaultTTL is how long a token stays valid after the hub issues it: long
// enough for a provider's slowest nested call (the hub's own MaxTimeout is
// a minute), short enough that a leaked token is soon worthless.
const DefaultTTL = 5 * time.Minute

// MaxLen bounds the token a hub reads: a certificate and a signature in
// base64 are well under 4 KiB.
const MaxLen = 8 << 10

// Claims is what a token binds.
type Claims struct {
	// Parent is the message id of the exchange being served.
	Parent string `json:"parent"`
	// Provider is the agency the exchange was sent to, the only caller
	// the token is good for.
	Provider string `json:"provider"`
	// Consumer is the agency that sent the exchange: the document exchange
	// axis forwards a document for it (see hub.DocumentService).
	Consumer string `json:"consumer,omitempty"`
	// BusinessTime is the parent's business time, which nested exchanges
	// inherit.
	BusinessTime time.Time `json:"business_time"`
	// Expires is when the token stops being accepted.
	Expires time.Time `json:"expires"`
	// Hub is the id of the hub that issued the token (for logs).
	Hub string `json:"hub,omitempty"`
}

// Errors of a token that does not hold; wrapped with the detail.
var (
	ErrMalformed = errors.New("callctx: malformed context token")
	ErrSignature = errors.New("callctx: context token not signed by a hub of this platform")
	ErrExpired   = errors.New("callctx: context token expired")
	ErrCaller    = errors.New("callctx: context token issued to another provider")
)

// Issuer signs tokens. The zero Key issues unsigned tokens (insecure
// platform). It is safe for concurrent use.
type Issuer struct {
	// Key is the private key of Cert; nil issues unsigned tokens.
	Key crypto.Signer
	// Cert is the hub's certificate, DER.
	Cert []byte
	// Hub is the issuing hub's id.
	Hub string
	// TTL is how long tokens stay valid (default DefaultTTL).
	TTL time.Duration
	// MAC, if set (MACKey of Key), issues the hmac1 form instead of
	// signing each token.
	MAC []byte
}

// macPart marks the hmac1 form in place of the certificate.
const macPart = "hmac1"

// MACKey derives the key of hmac1 tokens from a hub's private key: every
// hub holding that key derives the same one. It returns nil for a key it
// cannot read (the signed form is used then).
func MACKey(key crypto.Signer) []byte {
	k, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil
	}
	secret, err := k.Bytes()
	if err != nil {
		return nil
	}
	mac, err := hkdf.Key(sha256.New, secret, nil, "ndxp context token hmac1", sha256.Size)
	if err != nil {
		return nil
	}
	return mac
}

func macOf(key, raw []byte) []byte {
	m := hmac.New(sha256.New, key)
	_, _ = m.Write(raw)
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// Issue returns the token for an exchange with message id parent sent by
// consumer to provider at business time bt.
func (i Issuer) Issue(parent, consumer, provider string, bt, now time.Time) (string, error) {
	ttl := i.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	raw, err := json.Marshal(Claims{Parent: parent, Provider: provider, Consumer: consumer, BusinessTime: bt.UTC(), Expires: now.Add(ttl).UTC(), Hub: i.Hub})
	if err != nil {
		return "", fmt.Errorf("callctx: encode claims: %w", err)
	}
	if len(i.MAC) > 0 {
		return b64.EncodeToString(raw) + "." + macPart + "." + b64.EncodeToString(macOf(i.MAC, raw)), nil
	}
	if i.Key == nil {
		return b64.EncodeToString(raw) + "..", nil
	}
	h := sha256.Sum256(raw)
	sig, err := i.Key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("callctx: sign: %w", err)
	}
	return b64.EncodeToString(raw) + "." + b64.EncodeToString(i.Cert) + "." + b64.EncodeToString(sig), nil
}

// Verifier checks tokens. With nil Roots (insecure platform) it accepts
// any well-formed token, signed or not; otherwise the token must be signed
// by a hub certificate (URI SAN urn:ndxp:hub) issued by Roots. It is safe
// for concurrent use; the zero value is the insecure verifier.
type Verifier struct {
	Roots *x509.CertPool
	// MAC is the key of the hmac1 form (MACKey of this hub's key); without
	// it such tokens are refused on a secure hub.
	MAC []byte

	// hubs caches the keys of certificates already verified, by DER, so
	// that a chain is checked once, not per exchange.
	hubs sync.Map // base64 DER -> verifiedKey
}

type verifiedKey struct {
	pub      *ecdsa.PublicKey
	notAfter time.Time
}

// Provider returns the provider token names, unchecked: the caller to
// verify it for (with Verify) where the caller is not authenticated.
func Provider(token string) string {
	claims, _, ok := strings.Cut(token, ".")
	raw, err := b64.DecodeString(claims)
	if !ok || err != nil {
		return ""
	}
	var c Claims
	_ = json.Unmarshal(raw, &c)
	return c.Provider
}

// Verify returns the claims of token if it holds for caller at now.
func (v *Verifier) Verify(token, caller string, now time.Time) (Claims, error) {
	var c Claims
	if len(token) > MaxLen {
		return c, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(token), MaxLen)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("%w: want three dot-separated parts, got %d", ErrMalformed, len(parts))
	}
	raw, err := b64.DecodeString(parts[0])
	if err != nil {
		return c, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	if err := v.checkSignature(raw, parts[1], parts[2]); err != nil {
		return c, err
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	switch {
	case c.Parent == "" || c.Provider == "" || c.BusinessTime.IsZero() || c.Expires.IsZero():
		return c, fmt.Errorf("%w: parent, provider, business_time and expires are required", ErrMalformed)
	case c.Provider != caller:
		return c, fmt.Errorf("%w: it was issued to %s for exchange %s, the caller is %s", ErrCaller, c.Provider, c.Parent, caller)
	case !now.Before(c.Expires):
		return c, fmt.Errorf("%w at %s (exchange %s)", ErrExpired, c.Expires.Format(time.RFC3339), c.Parent)
	}
	return c, nil
}

func (v *Verifier) checkSignature(raw []byte, cert, sig string) error {
	if v.Roots == nil {
		return nil
	}
	if cert == "" || sig == "" {
		return fmt.Errorf("%w: it is not signed", ErrSignature)
	}
	if cert == macPart {
		return v.checkMAC(raw, sig)
	}
	pub, err := v.hubKey(cert)
	if err != nil {
		return err
	}
	s, err := b64.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	h := sha256.Sum256(raw)
	if !ecdsa.VerifyASN1(pub, h[:], s) {
		return fmt.Errorf("%w: the signature does not match the claims", ErrSignature)
	}
	return nil
}

func (v *Verifier) checkMAC(raw []byte, sig string) error {
	s, err := b64.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: mac: %v", ErrMalformed, err)
	}
	if len(v.MAC) == 0 || !hmac.Equal(s, macOf(v.MAC, raw)) {
		return fmt.Errorf("%w: its code does not match the claims under this platform's hub key", ErrSignature)
	}
	return nil
}

// hubKey returns the key of a hub certificate issued by Roots.
func (v *Verifier) hubKey(cert string) (*ecdsa.PublicKey, error) {
	if k, ok := v.hubs.Load(cert); ok && time.Now().Before(k.(verifiedKey).notAfter) {
		return k.(verifiedKey).pub, nil
	}
	der, err := b64.DecodeString(cert)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrMalformed, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: its certificate is not readable: %v", ErrSignature, err)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: v.Roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%w: its certificate is not issued by the CA: %v", ErrSignature, err)
	}
	if id, err := auth.FromCertificate(c); err != nil || id.Role != auth.RoleHub {
		return nil, fmt.Errorf("%w: its signer %q is not a hub", ErrSignature, c.Subject.String())
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: its signer's key is %T, not ECDSA", ErrSignature, c.PublicKey)
	}
	v.hubs.Store(cert, verifiedKey{pub: pub, notAfter: c.NotAfter})
	return pub, nil
}
