package hub_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
)

// TestRatesServed: the hub samples its tx/s itself, so /api/rates holds
// the exchanges of the last minutes whether or not a page was open.
func TestRatesServed(t *testing.T) {
	env := hubtest.Start(t)
	for i := range 3 {
		sendToday(t, env, fmt.Sprint("rate-", i), knownID)
	}
	hubtest.Eventually(t, 20*time.Second, func() error {
		resp, err := http.Get("http://" + env.HTTPAddr() + "/api/rates")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var body struct {
			Rates []struct {
				At    time.Time `json:"at"`
				Count int64     `json:"count"`
			} `json:"rates"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return err
		}
		var sum int64
		for i, r := range body.Rates {
			if i > 0 && !r.At.After(body.Rates[i-1].At) {
				return fmt.Errorf("rates not in time order: %v", body.Rates)
			}
			sum += r.Count
		}
		if sum != 3 {
			return fmt.Errorf("the rates add up to %d transactions, want 3", sum)
		}
		return nil
	})
}
