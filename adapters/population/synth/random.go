package synth

import "sort"

// golden is the splitmix64 increment (2^64 / phi).
const golden = 0x9e3779b97f4a7c15

// mix is the splitmix64 finalizer: a fast bijective 64-bit mixer, the
// same in every process (unlike hash/maphash), so that a seed always
// yields the same population.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Salts keep the hashes drawn for different purposes independent.
const (
	saltExists uint64 = 0x65786973 // "exis"
	saltRecord uint64 = 0x7265636f // "reco"
)

// key hashes a 12-digit ID number under a seed for one purpose.
func key(seed, num, salt uint64) uint64 {
	return mix(seed ^ mix(num^(salt*golden)))
}

// stream is a splitmix64 generator: the deterministic source a citizen's
// record is drawn from. Its zero value is usable.
type stream struct{ state uint64 }

func (s *stream) next() uint64 {
	s.state += golden
	return mix(s.state)
}

// intn returns a number in [0, n); n must be in (0, 2^32).
func (s *stream) intn(n int) int { return scale(s.next(), n) }

// scale maps u uniformly enough onto [0, n) by multiplying its top 32 bits.
func scale(u uint64, n int) int { return int((u >> 32) * uint64(n) >> 32) }

// pick returns one of items, uniformly.
func pick[T any](s *stream, items []T) T { return items[s.intn(len(items))] }

// weighted is a table of items drawn with given integer weights.
type weighted[T any] struct {
	items []T
	cum   []int // cum[i] is the sum of the weights of items[:i+1]
}

// entry is an item of a weighted table with its weight.
type entry[T any] struct {
	item   T
	weight int
}

func newWeighted[T any](entries ...entry[T]) weighted[T] {
	var w weighted[T]
	total := 0
	for _, e := range entries {
		total += e.weight
		w.items = append(w.items, e.item)
		w.cum = append(w.cum, total)
	}
	return w
}

// pick draws an item using the random bits u.
func (w weighted[T]) pick(u uint64) T {
	x := scale(u, w.cum[len(w.cum)-1])
	return w.items[sort.SearchInts(w.cum, x+1)]
}
