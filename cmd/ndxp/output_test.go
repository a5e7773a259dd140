package main

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestJSONStyle: one JSON style for every command: .proto field names,
// 64-bit integers as numbers (inside Any payloads too), fields in .proto
// order, two-space indentation, the same bytes every time.
func TestJSONStyle(t *testing.T) {
	st := &hubv1.Stats{
		Period: "2023-05-20", AsOf: timestamppb.New(time.Date(2023, 5, 20, 3, 0, 0, 0, time.UTC)), Sequence: 1_000_034,
		Count:      &hubv1.Count{Total: 9_007_199_254, Succeeded: 9_007_199_250, Failed: 4},
		ByConsumer: []*hubv1.Bucket{{Key: "000.00.00.H29", Count: &hubv1.Count{Total: 3}}},
	}
	var first bytes.Buffer
	if err := writeJSON(&first, st); err != nil {
		t.Fatal(err)
	}
	for range 20 { // protojson varies its spacing from run to run, not within one
		var again bytes.Buffer
		if err := writeJSON(&again, st); err != nil || again.String() != first.String() {
			t.Fatalf("second rendering differs: %v\n%s\n%s", err, first.String(), again.String())
		}
	}
	for _, want := range []string{
		"{\n  \"period\": \"2023-05-20\",\n",
		"\"count\": {\n    \"total\": 9007199254,\n    \"succeeded\": 9007199250,\n    \"failed\": 4\n  },",
		"\"by_consumer\": [\n    {\n      \"key\": \"000.00.00.H29\",",
		"\"as_of\": \"2023-05-20T03:00:00Z\"",
		"\"sequence\": 1000034",
	} {
		if !bytes.Contains(first.Bytes(), []byte(want)) {
			t.Errorf("stats JSON lacks %q:\n%s", want, first.String())
		}
	}
	payload, err := anypb.New(&hubv1.Count{Total: 12})
	if err != nil {
		t.Fatal(err)
	}
	var line bytes.Buffer
	if err := writeJSONLine(&line, &hubv1.ExchangeResponse{MessageId: "m-1", Payload: payload}); err != nil {
		t.Fatal(err)
	}
	if want := `"payload":{"@type":"type.googleapis.com/ndxp.hub.v1.Count","total":12,`; !bytes.Contains(line.Bytes(), []byte(want)) || bytes.Count(line.Bytes(), []byte("\n")) != 1 {
		t.Errorf("JSON line = %s, want one line with %s", line.String(), want)
	}
}
