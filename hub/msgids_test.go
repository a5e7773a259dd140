package hub

import (
	"errors"
	"fmt"
	"testing"
	"time"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestMessageIDsBounded: the index holds at most max ids and none older
// than the window; a forgotten id may be claimed again.
func TestMessageIDsBounded(t *testing.T) {
	m := newMessageIDs(4, time.Minute)
	now := time.Now()
	rec := func(id string) *hubv1.TransactionRecord {
		return &hubv1.TransactionRecord{MessageId: id, Consumer: "000.00.00.H29", Provider: "000.00.01.G01", Service: "citizen-lookup"}
	}
	for i := range 10_000 {
		if err := m.claim(rec(fmt.Sprint(i)), 1, now); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.entries) != 4 || len(m.queue)-m.head != 4 || cap(m.queue) > 4096 {
		t.Fatalf("%d entries, queue %d (cap %d); want 4", len(m.entries), len(m.queue)-m.head, cap(m.queue))
	}
	if err := m.claim(rec("9999"), 2, now); !errors.Is(err, ErrMessageIDReused) {
		t.Fatalf("reuse of a remembered id: %v", err)
	}
	if err := m.claim(rec("0"), 2, now); err != nil {
		t.Fatalf("an evicted id: %v", err)
	}
	if err := m.claim(rec("9999"), 2, now.Add(2*time.Minute)); err != nil {
		t.Fatalf("an id older than the window: %v", err)
	}
	if len(m.entries) != 1 {
		t.Fatalf("%d entries after the window, want 1", len(m.entries))
	}
}
