// Package audit keeps a tamper-evident log of every transaction: for each
// record of the transaction stream (NDXP_TX), in stream order, an entry
// with its metadata and the hashes of the payloads, never the payloads
// themselves, is appended to the audit stream (NDXP_AUDIT). Each entry
// carries the hash of the previous one, so editing, removing or
// reordering an entry breaks the chain at that point, and Verify names it.
//
// Every hub follows the transaction stream and computes the same chain;
// appends use JetStream's expected-last-sequence, so exactly one hub wins
// each position and the others adopt its entry. The chain is written off
// the hot path: an exchange only waits for its transaction record.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/ndxp/ndxp/hub/counter"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Entry is one link of the chain. Its JSON form is what is stored,
// exported and hashed.
type Entry struct {
	// Seq is the entry's position in the chain, from 1, one more than its
	// predecessor's.
	Seq uint64 `json:"seq"`
	// TxSeq is the sequence of the transaction record in the transaction
	// stream.
	TxSeq uint64 `json:"tx_seq"`
	// MessageID, Consumer, Provider, Service, Purpose and UserID are the
	// transaction's metadata (the purpose is the case reference, the user
	// the official; no citizen data).
	MessageID string `json:"message_id"`
	Consumer  string `json:"consumer"`
	Provider  string `json:"provider"`
	Service   string `json:"service"`
	Purpose   string `json:"purpose,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	// Outcome is the gRPC code name, e.g. "OK", "PERMISSION_DENIED". Error
	// messages are left out: a provider's may quote personal data.
	Outcome string `json:"outcome"`
	// HubID is the hub that carried the exchange.
	HubID string `json:"hub_id"`
	// BusinessTime, ReceivedAt and AnsweredAt are RFC 3339 UTC times.
	BusinessTime string `json:"business_time"`
	ReceivedAt   string `json:"received_at"`
	AnsweredAt   string `json:"answered_at"`
	// RequestSize and ResponseSize are the payload sizes in bytes;
	// RequestHash and ResponseHash their SHA-256, hex.
	RequestSize  int64  `json:"request_size"`
	ResponseSize int64  `json:"response_size"`
	RequestHash  string `json:"request_hash,omitempty"`
	ResponseHash string `json:"response_hash,omitempty"`
	// RecordHash is the SHA-256 of the stored transaction record, hex.
	RecordHash string `json:"record_hash"`
	// Prev is the previous entry's Hash ("" for the first entry ever).
	Prev string `json:"prev"`
	// Hash is the SHA-256, hex, of this entry's JSON with Hash empty.
	Hash string `json:"hash"`
}

// NewEntry builds the entry of the record stored as raw at txSeq, chained
// after prev (the previous entry's hash) at position seq.
func NewEntry(seq, txSeq uint64, raw []byte, rec *hubv1.TransactionRecord, prev string) Entry {
	e := Entry{
		Seq: seq, TxSeq: txSeq, MessageID: rec.GetMessageId(),
		Consumer: rec.GetConsumer(), Provider: rec.GetProvider(), Service: rec.GetService(),
		Purpose: rec.GetPurpose(), UserID: rec.GetUserId(), Outcome: counter.CodeName(rec.GetCode()),
		HubID:        rec.GetHubId(),
		BusinessTime: utc(rec.GetBusinessTime().AsTime()), ReceivedAt: utc(rec.GetReceivedAt().AsTime()),
		AnsweredAt:  utc(rec.GetAnsweredAt().AsTime()),
		RequestSize: rec.GetRequestSize(), ResponseSize: rec.GetResponseSize(),
		RequestHash: hex.EncodeToString(rec.GetRequestHash()), ResponseHash: hex.EncodeToString(rec.GetResponseHash()),
		RecordHash: sum(raw), Prev: prev,
	}
	e.Hash = e.ComputeHash()
	return e
}

// ComputeHash is the hash e should carry: SHA-256 of its JSON with Hash
// empty.
func (e Entry) ComputeHash() string {
	e.Hash = ""
	b, _ := json.Marshal(e) // a struct of strings and integers always encodes
	return sum(b)
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
