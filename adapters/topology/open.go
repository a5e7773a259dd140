package topology

import "slices"

// Open returns the built-in topology named ref ("2021", "2023" or
// "default"), or else loads the file at path ref.
func Open(ref string) (*Topology, error) {
	if ref == "default" || slices.Contains(BuiltinNames(), ref) {
		return Builtin(ref)
	}
	return Load(ref)
}
