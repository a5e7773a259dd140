package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// runCLI runs the ndxp command line with args and returns its output,
// against hubtest's plaintext hub (--insecure).
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--insecure"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func TestRenderTop(t *testing.T) {
	asOf := time.Date(2023, 5, 20, 3, 5, 0, 0, time.UTC)
	bucket := func(key string, total, failed int64) *hubv1.Bucket {
		return &hubv1.Bucket{Key: key, Count: &hubv1.Count{Total: total, Succeeded: total - failed, Failed: failed}}
	}
	prev := &hubv1.Stats{AsOf: timestamppb.New(asOf.Add(-2 * time.Second)), AllTime: &hubv1.Count{Total: 1_000_000}}
	st := &hubv1.Stats{
		Period: "2023-05-20", AsOf: timestamppb.New(asOf), Sequence: 1_000_034,
		Count:      &hubv1.Count{Total: 1_234_567, Succeeded: 1_222_222, Failed: 12_345},
		AllTime:    &hubv1.Count{Total: 1_000_034},
		ByConsumer: []*hubv1.Bucket{bucket("000.00.00.H29", 700_000, 10_000), bucket("000.00.00.H01", 534_000, 2_345), bucket("000.00.00.H48", 567, 0)},
		ByService:  []*hubv1.Bucket{bucket("000.00.01.G01/citizen-lookup", 1_234_567, 12_345)},
		ByCode:     []*hubv1.Bucket{bucket("OK", 1_222_222, 0), bucket("INVALID_ARGUMENT", 12_345, 12_345)},
		Latency:    &hubv1.Latency{P50Us: 1200, P99Us: 8000, MaxUs: 95000},
	}
	frame := renderTop(st, prev, "127.0.0.1:9090", 2)
	for _, want := range []string{
		"hub 127.0.0.1:9090 — 2023-05-20 10:05:00 ICT — record 1000034",
		"now      17.0 tx/s (1,468,800 a day at this rate)",
		"2023-05-20 1,234,567 transactions, 1,222,222 succeeded, 12,345 failed",
		"errors   1.00%   latency p50 1.2ms  p99 8.0ms  max 95.0ms",
		"823.0% of 150,000/day (Aug 2021)",
		"65.0% of 1,900,000/day (H1 2022)",
		"000.00.00.H29",
		"… 1 more",
		"INVALID_ARGUMENT",
	} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	if strings.Contains(frame, "000.00.00.H48") {
		t.Errorf("frame lists more than the top 2 consumers:\n%s", frame)
	}
	if first := renderTop(st, nil, "h", 8); !strings.Contains(first, "now      –") {
		t.Errorf("first frame shows a rate without a previous snapshot:\n%s", first)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2023, 5, 20, 3, 30, 0, 0, time.UTC) // 10:30 ICT
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"10:05", time.Date(2023, 5, 20, 10, 5, 0, 0, vn.Zone)},
		{"10:05:30", time.Date(2023, 5, 20, 10, 5, 30, 0, vn.Zone)},
		{"2023-05-19 23:59", time.Date(2023, 5, 19, 23, 59, 0, 0, vn.Zone)},
		{"2023-05-19", time.Date(2023, 5, 19, 0, 0, 0, 0, vn.Zone)},
		{"2023-05-20T03:05:00Z", time.Date(2023, 5, 20, 3, 5, 0, 0, time.UTC)},
		{"15m", now.Add(-15 * time.Minute)},
		{"-1h", now.Add(-time.Hour)},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTime(tc.in, now)
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("parseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"yesterday", "25:00", "2023-13-01", "0s"} {
		if _, err := parseTime(bad, now); err == nil {
			t.Errorf("parseTime(%q) accepted", bad)
		}
	}
}

// TestCommandsAgree: after a run of exchanges, `ndxp stats`, `ndxp top`
// and `ndxp records` show what the clients saw.
func TestCommandsAgree(t *testing.T) {
	env := hubtest.Start(t)
	ok := 0
	for i := range 7 {
		id := "001194053383"
		if i == 3 {
			id = "12"
		}
		p, err := anypb.New(&populationv1.LookupCitizenRequest{PersonalId: id})
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.Exchange.Exchange(context.Background(), &hubv1.ExchangeRequest{
			Consumer: "000.00.00.H29", Provider: population.Code, Service: population.ServiceLookup,
			Payload: p, MessageId: fmt.Sprint("cli-", i), Purpose: "HS-1", UserId: "can-bo-01",
		})
		if err == nil {
			ok++
		}
	}
	hub := "--hub=" + env.GRPCAddr()

	out, err := runCLI(t, "stats", "--json", hub)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Count struct{ Total, Succeeded int64 } `json:"count"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Count.Total != 7 || st.Count.Succeeded != int64(ok) {
		t.Fatalf("stats --json = %s (%v), want 7 total, %d succeeded", out, err, ok)
	}
	if out, err := runCLI(t, "stats", "--rows", hub); err != nil || !strings.Contains(out, "7 transactions") || !strings.Contains(out, "INVALID_ARGUMENT") {
		t.Fatalf("stats = %s, %v", out, err)
	}
	if out, err := runCLI(t, "stats", "declare", "--profile", "2023-05", hub); err != nil || !strings.Contains(out, "1,300,000,000") {
		t.Fatalf("stats declare --profile 2023-05 = %s, %v", out, err)
	}
	if out, err := runCLI(t, "stats", hub); err != nil || !strings.Contains(out, "since launch: 1,300,000,007 = 1,300,000,000 declared as of 2023-05-20") {
		t.Fatalf("stats after declaring = %s, %v", out, err)
	}
	hour := time.Now().In(vn.Zone).Format("15")
	if out, err := runCLI(t, "stats", "--by", "hour", "--rows", hub); err != nil || !strings.Contains(out, "7 transactions") ||
		!strings.Contains(out, hour+":00-"+hour+":59") || strings.Count(out, ":00-") != 24 || !strings.Contains(out, "Vietnam time") {
		t.Fatalf("stats --by hour = %s, %v; want 24 hours of Vietnam time, %sh among them", out, err, hour)
	}
	if out, err := runCLI(t, "top", "--once", "--interval", "100ms", hub); err != nil || !strings.Contains(out, "7 transactions") || !strings.Contains(out, "0.0 tx/s") || strings.Contains(out, "\x1b[") {
		t.Fatalf("top --once = %s, %v", out, err)
	}

	out, err = runCLI(t, "records", "--json", "--agency", population.Code, "--from", "10m", "--limit", "5", hub)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 5 || !strings.Contains(lines[0], `"message_id":"cli-0"`) {
		t.Fatalf("records --json --limit 5 = %s", out)
	}
	out, err = runCLI(t, "records", "--service", population.ServiceLookup, "--limit", "0", hub)
	if err != nil || strings.Count(out, "000.00.00.H29") != 7 || !strings.Contains(out, "can-bo-01") {
		t.Fatalf("records = %s, %v", out, err)
	}
	for _, args := range [][]string{
		{"records", "--agency", "population", hub},
		{"records", "--from", "yesterday", hub},
		{"records", "--limit", "-1", hub},
		{"stats", "--day", "2023-02-30", hub},
		{"stats", "--by", "minute", hub},
		{"top", "--interval", "1ms", hub},
	} {
		if out, err := runCLI(t, args...); err == nil {
			t.Errorf("ndxp %v succeeded: %s", args, out)
		}
	}
}
