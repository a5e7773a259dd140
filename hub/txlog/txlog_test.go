package txlog_test

import (
	"testing"

	"github.com/ndxp/ndxp/hub/txlog"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestRecordID: records of one message id share a de-duplication key only
// when they are of the same request with the same outcome.
func TestRecordID(t *testing.T) {
	base := func() *hubv1.TransactionRecord {
		return &hubv1.TransactionRecord{
			MessageId: "X1", Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup",
			Purpose: "p", UserId: "u", RequestHash: []byte{1, 2, 3},
		}
	}
	same := base()
	same.HubId, same.ResponseSize = "another hub", 99 // not part of the request
	if txlog.RecordID(base()) != txlog.RecordID(same) || txlog.RequestFingerprint(base()) != txlog.RequestFingerprint(same) {
		t.Fatal("a retry of the same request has another key")
	}
	for name, edit := range map[string]func(*hubv1.TransactionRecord){
		"service":  func(r *hubv1.TransactionRecord) { r.Service = "household-members" },
		"provider": func(r *hubv1.TransactionRecord) { r.Provider = "000.00.02.G01" },
		"payload":  func(r *hubv1.TransactionRecord) { r.RequestHash = []byte{1, 2, 4} },
		"purpose":  func(r *hubv1.TransactionRecord) { r.Purpose = "q" },
		"user":     func(r *hubv1.TransactionRecord) { r.UserId = "v" },
		"code":     func(r *hubv1.TransactionRecord) { r.Code = 6 },
		"consumer": func(r *hubv1.TransactionRecord) { r.Consumer = "000.00.00.H01" },
	} {
		r := base()
		edit(r)
		if txlog.RecordID(r) == txlog.RecordID(base()) {
			t.Errorf("another %s: same key %s", name, txlog.RecordID(r))
		}
	}
}
