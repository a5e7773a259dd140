package topology

import (
	"os"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse in both formats: topology files
// come from users, so Parse must never panic, and whatever it accepts must
// survive Marshal and Parse unchanged. `go test` runs only the seeds;
// run `go test -fuzz FuzzParse ./adapters/topology` to search further.
func FuzzParse(f *testing.F) {
	small, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	topo, err := Parse(small, FormatYAML)
	if err != nil {
		f.Fatal(err)
	}
	js, err := topo.Marshal(FormatJSON)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(js)
	for _, seed := range []string{
		"",
		"null",
		"name: x\n",
		"agencies: [{code: 000.00.00.H29, name: a, kind: other, simulator: generic}]",
		"agencies:\n  - &a {code: 000.00.00.H29}\n  - *a\n",
		`{"agencies": [{"code": "000.00.00.H29", "consumes": ["000.00.00.H29/x"]}]}`,
		"{\"name\": \"\xff\"}",
		"- a\n- b\n",
		"agencies: [{kind: 7}]",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{FormatYAML, FormatJSON} {
			topo, err := Parse(data, format)
			if err != nil {
				continue
			}
			out, err := topo.Marshal(format)
			if err != nil {
				t.Fatalf("Marshal(%s) of a parsed topology: %v", format, err)
			}
			again, err := Parse(out, format)
			if err != nil {
				t.Fatalf("Parse(Marshal(%s)): %v\n%s", format, err, out)
			}
			if !reflect.DeepEqual(again, topo) {
				t.Fatalf("Parse(Marshal(%s)) changed the topology\nbefore: %+v\nafter:  %+v", format, topo, again)
			}
		}
	})
}
