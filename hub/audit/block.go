package audit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ndxp/ndxp/hub/auth"
)

// Block is one link of the chain: the entries of a contiguous range of
// transaction records, signed by the hub that wrote it. Its JSON form is
// what is stored, exported and hashed.
type Block struct {
	// Seq is the block's position in the chain, from 1, one more than its
	// predecessor's.
	Seq uint64 `json:"seq"`
	// TxFirst and TxLast are the first and last transaction stream
	// sequences the block covers; TxFirst is one more than the
	// predecessor's TxLast.
	TxFirst uint64 `json:"tx_first"`
	TxLast  uint64 `json:"tx_last"`
	// Writer is the hub that wrote the block; Created when, RFC 3339 UTC.
	Writer  string `json:"writer"`
	Created string `json:"created"`
	// Entries are the records read, in stream order.
	Entries []Entry `json:"entries"`
	// Absent are the ranges of sequences in [TxFirst, TxLast] that were no
	// longer in the transaction stream when the writer read it: evidence
	// lost before it was chained, written down so that it is never
	// mistaken for a complete record.
	Absent []Range `json:"absent,omitempty"`
	// Prev is the previous block's Hash ("" for the first block ever).
	Prev string `json:"prev"`
	// Signer is the DER certificate of the hub that signed the block
	// (base64 in JSON); empty on an insecure hub, whose blocks are only
	// hash-chained.
	Signer []byte `json:"signer,omitempty"`
	// Hash is the SHA-256, hex, of the block's JSON with Hash and
	// Signature empty.
	Hash string `json:"hash"`
	// Signature is the signer's ECDSA (ASN.1) signature of Hash's bytes.
	Signature []byte `json:"signature,omitempty"`
}

// Range is an inclusive range of transaction stream sequences.
type Range struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

// ComputeHash is the hash b should carry.
func (b Block) ComputeHash() string {
	b.Hash, b.Signature = "", nil
	raw, _ := json.Marshal(b) // strings, integers and byte slices always encode
	return sum(raw)
}

// Signer signs blocks with a hub's private key; the zero value (no key)
// leaves blocks unsigned.
type Signer struct {
	// Key is the private key of Cert.
	Key crypto.Signer
	// Cert is the hub's certificate, DER.
	Cert []byte
}

// seal sets b's Signer, Hash and Signature.
func (s Signer) seal(b *Block) error {
	b.Signer = s.Cert
	b.Hash = b.ComputeHash()
	if s.Key == nil {
		return nil
	}
	h, _ := hex.DecodeString(b.Hash)
	sig, err := s.Key.Sign(rand.Reader, h, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("audit: sign block %d: %w", b.Seq, err)
	}
	b.Signature = sig
	return nil
}

// Trust checks blocks' signatures: a block must be signed by a hub's
// certificate (URI SAN urn:ndxp:hub) issued by one of Roots. A nil *Trust
// checks hashes only (an insecure platform has no keys).
// A *Trust is safe for concurrent use; it must not be copied once used.
type Trust struct {
	Roots *x509.CertPool

	// signers holds the keys of signer certificates already found to be
	// hubs' of Roots (DER as a string -> *ecdsa.PublicKey): a chain has
	// thousands of blocks and a few signers.
	signers sync.Map
}

// Errors of a block's seal.
var (
	errNotSigned    = errors.New("it is not signed")
	errBadSignature = errors.New("its signature does not match its content")
)

// check reports why b's hash or signature does not hold, nil if they do.
func (t *Trust) check(b *Block) error {
	if b.ComputeHash() != b.Hash {
		return errors.New("its content does not match its hash (the block was edited)")
	}
	if t == nil {
		return nil
	}
	if len(b.Signer) == 0 || len(b.Signature) == 0 {
		return errNotSigned
	}
	pub, err := t.signer(b.Signer)
	if err != nil {
		return err
	}
	h, _ := hex.DecodeString(b.Hash)
	if !ecdsa.VerifyASN1(pub, h, b.Signature) {
		return errBadSignature
	}
	return nil
}

// signer returns the public key of the hub certificate der, checked
// against t.Roots once.
func (t *Trust) signer(der []byte) (*ecdsa.PublicKey, error) {
	if pub, ok := t.signers.Load(string(der)); ok {
		return pub.(*ecdsa.PublicKey), nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("its signer certificate is not readable: %w", err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: t.Roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("its signer certificate is not issued by the CA: %w", err)
	}
	if id, err := auth.FromCertificate(cert); err != nil || id.Role != auth.RoleHub {
		return nil, fmt.Errorf("its signer %q is not a hub", cert.Subject.String())
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("its signer's key is %T, not ECDSA", cert.PublicKey)
	}
	t.signers.Store(string(der), pub)
	return pub, nil
}

// covers checks that b's entries and absent ranges cover [TxFirst, TxLast]
// exactly, in order.
func (b *Block) covers() error {
	if b.TxFirst == 0 || b.TxLast < b.TxFirst {
		return fmt.Errorf("it covers an empty range %d-%d", b.TxFirst, b.TxLast)
	}
	next := b.TxFirst
	ei, ai := 0, 0
	for next <= b.TxLast {
		switch {
		case ei < len(b.Entries) && b.Entries[ei].TxSeq == next:
			ei++
			next++
		case ai < len(b.Absent) && b.Absent[ai].First == next && b.Absent[ai].Last >= next:
			next = b.Absent[ai].Last + 1
			ai++
		default:
			return fmt.Errorf("transaction %d is neither an entry nor absent", next)
		}
	}
	if ei != len(b.Entries) || ai != len(b.Absent) || next != b.TxLast+1 {
		return fmt.Errorf("it holds entries outside %d-%d", b.TxFirst, b.TxLast)
	}
	return nil
}

// Overlaps reports whether an entry of b was received in [lo, hi).
func (b *Block) Overlaps(lo, hi time.Time) bool {
	for _, e := range b.Entries {
		t, err := time.Parse(time.RFC3339Nano, e.ReceivedAt)
		if err == nil && !t.Before(lo) && t.Before(hi) {
			return true
		}
	}
	return false
}
