package hub_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// browser starts a headless Chromium for the test, or skips the test when
// there is none outside CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; CI must install it (.ci/run does: apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed: skipping the browser test (apt-get install chromium to run it)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// js evaluates expr in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls expr in the page until it is true.
func waitFor(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("the page never satisfied %s (status %q): %v", expr, js[string](t, ctx, `document.getElementById('status').textContent`), err)
	}
}

func TestDashboardInBrowser(t *testing.T) {
	ctx := browser(t)
	env := hubtest.Start(t)
	for i := range 3 {
		sendToday(t, env, fmt.Sprint("dash-", i), knownID)
	}
	sendToday(t, env, "dash-bad", "123")
	api := todayStats(t, env)
	if api.GetCount().GetTotal() != 4 {
		t.Fatalf("API counted %v, want 4", api.GetCount())
	}

	if err := chromedp.Do(ctx, chromedp.Navigate("http://"+env.HTTPAddr()+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `document.getElementById('today-total').dataset.value === '4'`)
	for _, tc := range []struct{ expr, want string }{
		{`document.getElementById('today-day').textContent`, api.GetPeriod()},
		{`document.getElementById('today-ok').dataset.value`, fmt.Sprint(api.GetCount().GetSucceeded())},
		{`document.getElementById('today-failed').dataset.value`, fmt.Sprint(api.GetCount().GetFailed())},
		{`document.getElementById('error-rate').dataset.value`, "25"},
		{`document.querySelector('#consumers tr[data-key="` + consumer + `"]').dataset.total`, "4"},
		{`document.querySelector('#codes tr[data-key="INVALID_ARGUMENT"]').dataset.total`, "1"},
		{`String(document.querySelectorAll('#figures .row').length)`, "3"},
	} {
		if got := js[string](t, ctx, tc.expr); got != tc.want {
			t.Errorf("%s = %q, want %q (the API says %v)", tc.expr, got, tc.want, api.GetCount())
		}
	}
	waitFor(t, ctx, `document.getElementById('month-total').dataset.value === '4'`)
	// The day's hours (Vietnam time) add up to the day; times are labelled ICT.
	if got := js[float64](t, ctx, `[...document.querySelectorAll('#hour-chart rect')].reduce((s, r) => s + Number(r.dataset.total), 0)`); got != 4 {
		t.Errorf("the hour chart sums to %v, want 4", got)
	}
	if got := js[float64](t, ctx, `document.querySelectorAll('#hour-chart rect').length`); got != 24 {
		t.Errorf("the hour chart has %v bars, want 24", got)
	}
	waitFor(t, ctx, `document.getElementById('status').textContent.includes('ICT') && document.getElementById('chart-to').textContent.includes('ICT')`)

	// The page follows new exchanges without a reload, and draws the rate.
	for i := range 2 {
		sendToday(t, env, fmt.Sprint("dash-more-", i), knownID)
	}
	waitFor(t, ctx, `document.getElementById('today-total').dataset.value === '6'`)
	waitFor(t, ctx, `document.getElementById('chart-line').getAttribute('points') !== ''`)
	if got := todayStats(t, env).GetCount().GetTotal(); got != 6 {
		t.Fatalf("API counted %d, want 6", got)
	}

	// Any day: a replayed day, with its hours.
	replay := lookup(t, knownID)
	replay.MessageId, replay.BusinessTime = "dash-replayed", timestamppb.New(replayed.Add(15*time.Minute))
	if _, err := env.Exchange.Exchange(ctxT(t), replay); err != nil {
		t.Fatal(err)
	}
	js[any](t, ctx, `(() => { const i = document.getElementById('day-input'); i.value = '2023-05-02'; i.dispatchEvent(new Event('change')); })()`)
	waitFor(t, ctx, `document.getElementById('today-day').textContent === '2023-05-02' && document.getElementById('today-total').dataset.value === '1'`)
	if got := js[string](t, ctx, `document.querySelector('#hour-chart rect[data-hour="10"]').dataset.total + ' ' + document.getElementById('day-label').textContent`); got != "1 Day" {
		t.Errorf("2023-05-02's 10h bar and label: %q, want \"1 Day\"", got)
	}
	js[any](t, ctx, `document.getElementById('day-today').click()`)
	waitFor(t, ctx, `document.getElementById('today-total').dataset.value === '6' && document.getElementById('day-label').textContent === 'Today'`)

	// The records panel: who called the population database.
	js[any](t, ctx, `document.getElementById('rec-agency').value = '`+population.Code+`'; document.getElementById('records-form').requestSubmit()`)
	waitFor(t, ctx, `document.querySelectorAll('#records tr').length === 7`)
	if got := js[string](t, ctx, `document.querySelector('#records tr[data-message-id="dash-bad"]').children[5].textContent`); got != "INVALID_ARGUMENT" {
		t.Errorf("the records panel shows dash-bad's outcome as %q, want INVALID_ARGUMENT", got)
	}
	// By business time: the replayed day's record.
	js[any](t, ctx, `document.getElementById('rec-from').value = '2023-05-02T10:00'; document.getElementById('rec-to').value = '2023-05-02T11:00'; document.getElementById('rec-business').checked = true; document.getElementById('records-form').requestSubmit()`)
	waitFor(t, ctx, `document.querySelectorAll('#records tr').length === 1 && document.querySelector('#records tr[data-message-id="dash-replayed"]') !== null`)
	if got := js[string](t, ctx, `document.querySelector('#records tr[data-message-id="dash-replayed"]').children[1].textContent`); got != "2023-05-02 10:15:00.000" {
		t.Errorf("the replayed record's business time shows as %q, want 2023-05-02 10:15:00.000 (Vietnam time)", got)
	}
	js[any](t, ctx, `document.getElementById('rec-agency').value = 'population'; document.getElementById('records-form').requestSubmit()`)
	waitFor(t, ctx, `document.getElementById('rec-status').textContent.includes('invalid agency')`)
}

func sendToday(t *testing.T, env *hubtest.Env, id, personalID string) {
	t.Helper()
	req := lookup(t, personalID)
	req.MessageId = id
	_, _ = env.Exchange.Exchange(ctxT(t), req)
}

func todayStats(t *testing.T, env *hubtest.Env) *hubv1.Stats {
	t.Helper()
	resp, err := env.Stats.GetStats(ctxT(t), &hubv1.GetStatsRequest{Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetStats()
}
