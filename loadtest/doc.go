// Package loadtest replays the national data-exchange platform's published
// days against a hub and checks the hub's counters.
//
// A Profile (built-in from the published figures, or a YAML/JSON file)
// says how many transactions a day carries, how they spread over the hours
// of a day and the days of a week, which services they call and which of
// the 85 LGSPs call them. Run schedules every transaction at its business
// time, sends it through the unary Exchange call or pipelined on
// ExchangeStream, measures latency from its scheduled time in HDR
// histograms (open loop, so queueing in the hub is not hidden), and at the
// end compares, per business day, what it sent with what the hub counted.
//
//	prof, _ := loadtest.LoadProfile("2022-h1")
//	rep, err := loadtest.Run(ctx, loadtest.Config{Profile: prof, Mode: loadtest.ModeStream}, conns, log)
//	if err == nil && !rep.Green { ... }
package loadtest
