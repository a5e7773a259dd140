package counter

import (
	"runtime"
	"testing"
)

// BenchmarkDedup measures the de-duplication window at its default size:
// the time per record and, once full, the heap it holds per remembered
// record (run with -benchtime 3000000x to fill it and wrap around).
func BenchmarkDedup(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := newDedup(DefaultDedupRecords)
	b.ResetTimer()
	for i := range b.N {
		seq := uint64(i + 1)
		if d.seen(seq, dedupKey{seq * 0x9e3779b97f4a7c15, seq}) {
			b.Fatal("a new key taken for a duplicate")
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(min(b.N, DefaultDedupRecords)), "heap-B/record")
	runtime.KeepAlive(d)
}

// TestDedupWindow: a key is a duplicate within max sequences of its last
// reading, not beyond, and gaps in the sequences do not keep old keys.
func TestDedupWindow(t *testing.T) {
	d := newDedup(3)
	k := func(n uint64) dedupKey { return dedupKey{n, n} }
	steps := []struct {
		seq  uint64
		key  uint64
		want bool
	}{
		{1, 1, false}, {2, 2, false}, {4, 1, true}, // 3 back: within
		{8, 2, false}, // 6 back: beyond
		{9, 1, false}, // 5 back from 4: beyond
		{10, 9, false}, {11, 1, true},
	}
	for _, s := range steps {
		if got := d.seen(s.seq, k(s.key)); got != s.want {
			t.Fatalf("seq %d key %d: duplicate %v, want %v", s.seq, s.key, got, s.want)
		}
	}
	if len(d.last) > 3 {
		t.Fatalf("%d keys remembered, want at most 3", len(d.last))
	}
}
