// Package audit keeps a tamper-evident log of every transaction: the
// records of the transaction stream (NDXP_TX) are chained, in stream
// order, into signed blocks in the audit stream (NDXP_AUDIT). A block
// holds an entry per record (its metadata and the hashes of the record
// and the payloads, never the payloads themselves), the hash of the block
// before it, and the signature of the hub that wrote it, made with the
// private key of the hub's certificate. So:
//
//   - editing, removing, inserting or reordering a block breaks the chain
//     at that point, and Verify names it;
//   - NATS credentials alone cannot forge a block: Verify checks every
//     signature against the CA and requires a hub's certificate (X-Road
//     signs its message log in batches for the same reason);
//   - a record that is gone from NDXP_TX before it was chained is written
//     down as absent, never skipped silently.
//
// One hub at a time writes the chain (it holds a lease in a JetStream
// key-value bucket); it only ever chains records it has read, after the
// last block whose hash and signature hold, so a forged block cannot stop
// it or make it skip records. Appends still use JetStream's
// expected-last-sequence, so two writers can never fork the chain. The
// chain is written off the hot path: an exchange only waits for its
// transaction record.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Entry is the audit entry of one transaction record.
type Entry struct {
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
	// Unreadable is set when the stored record could not be decoded: the
	// entry then holds only TxSeq and RecordHash.
	Unreadable bool `json:"unreadable,omitempty"`
}

// NewEntry builds the entry of the record stored as raw at txSeq; rec is
// raw decoded, nil if it could not be.
func NewEntry(txSeq uint64, raw []byte, rec *hubv1.TransactionRecord) Entry {
	if rec == nil {
		return Entry{TxSeq: txSeq, RecordHash: sum(raw), Unreadable: true}
	}
	return Entry{
		TxSeq: txSeq, MessageID: rec.GetMessageId(),
		Consumer: rec.GetConsumer(), Provider: rec.GetProvider(), Service: rec.GetService(),
		Purpose: rec.GetPurpose(), UserID: rec.GetUserId(), Outcome: wire.CodeName(rec.GetCode()),
		HubID:        rec.GetHubId(),
		BusinessTime: utc(rec.GetBusinessTime().AsTime()), ReceivedAt: utc(rec.GetReceivedAt().AsTime()),
		AnsweredAt:  utc(rec.GetAnsweredAt().AsTime()),
		RequestSize: rec.GetRequestSize(), ResponseSize: rec.GetResponseSize(),
		RequestHash: hex.EncodeToString(rec.GetRequestHash()), ResponseHash: hex.EncodeToString(rec.GetResponseHash()),
		RecordHash: sum(raw),
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
