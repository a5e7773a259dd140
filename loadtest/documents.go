package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/ndxp/ndxp/hub/documents"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DocumentMonth is a published month of the document exchange axis
// (FACTS.md, "Flows").
type DocumentMonth struct {
	Sent, Received int64
	Source         string
}

// DocumentMonths are the published months, by name.
var DocumentMonths = map[string]DocumentMonth{
	"2021-08": {Sent: 91_389, Received: 395_492, Source: "report 003: 486,881 documents in one month of 2021"},
	"2024-08": {Sent: 143_756, Received: 624_634, Source: "report 004: 768,390 documents in one month of 2024"},
}

// DocumentConfig configures a replay of a month of the document axis.
type DocumentConfig struct {
	// Month names a DocumentMonths entry (required).
	Month string
	// Scale replays that part of the month, in (0, 1] (0: 1).
	Scale float64
	// Concurrency is how many documents are sent at once (0: 16).
	Concurrency int
	// Window is each recipient's unacknowledged documents (0: 100).
	Window uint32
	// RunID prefixes the document ids (0: the start time), so a second
	// run does not meet the first one's ids.
	RunID string
}

// DocumentReport is the outcome of a document replay, reconciled with the
// hub's counters.
type DocumentReport struct {
	Month             string  `json:"month"`
	Sent              int64   `json:"sent"`                // documents sent
	Received          int64   `json:"received"`            // receptions acknowledged by the recipients
	CountedSent       int64   `json:"counted_sent"`        // document-sent the hub counted during the run
	CountedReceived   int64   `json:"counted_received"`    // document-received the hub counted during the run
	Seconds           float64 `json:"seconds"`             // the whole run
	SentPerSecond     float64 `json:"sent_per_second"`     // documents sent per second
	ReceivedPerSecond float64 `json:"received_per_second"` // receptions per second, end to end
	Reconciled        bool    `json:"reconciled"`          // counted exactly what was sent and received
}

// RunDocuments sends the month's documents (scaled) from the province
// LGSPs to the province LGSPs, each to as many recipients as the month's
// received/sent split gives (the total is exact), drains every
// recipient's inbox, and reconciles the hub's counters of today. conn is
// the operator's (or an insecure) connection.
func RunDocuments(ctx context.Context, cfg DocumentConfig, conn grpc.ClientConnInterface, log *zap.Logger) (*DocumentReport, error) {
	if log == nil {
		log = zap.NewNop()
	}
	m, ok := DocumentMonths[cfg.Month]
	if !ok {
		return nil, fmt.Errorf("loadtest: unknown document month %q; want 2021-08 or 2024-08", cfg.Month)
	}
	if cfg.Scale == 0 {
		cfg.Scale = 1
	}
	if cfg.Scale < 0 || cfg.Scale > 1 {
		return nil, fmt.Errorf("loadtest: scale %v: want (0, 1]", cfg.Scale)
	}
	cfg.Concurrency = max(cfg.Concurrency, 0)
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 16
	}
	if cfg.Window == 0 {
		cfg.Window = 100
	}
	if cfg.RunID == "" {
		cfg.RunID = fmt.Sprint(time.Now().Unix())
	}
	sent := int64(float64(m.Sent)*cfg.Scale + 0.5)
	received := int64(float64(m.Received)*cfg.Scale + 0.5)
	if sent == 0 || received < sent {
		return nil, fmt.Errorf("loadtest: scale %v leaves no documents to send", cfg.Scale)
	}
	agencies := make([]string, len(vn.Provinces))
	for i, p := range vn.Provinces {
		agencies[i] = p.AgencyCode
	}
	stats := hubv1.NewStatsServiceClient(conn)
	beforeSent, beforeReceived, err := countedDocuments(ctx, stats)
	if err != nil {
		return nil, err
	}
	c := hubv1.NewDocumentServiceClient(conn)
	start := time.Now()
	expect := make(map[string]int64, len(agencies))
	plan := planDocuments(sent, received, agencies, expect)
	var got atomic.Int64
	rctx, stopReceivers := context.WithCancel(ctx)
	defer stopReceivers()
	receivers := newGroup(rctx, 0)
	for _, a := range agencies {
		if expect[a] > 0 {
			receivers.Go(func(ctx context.Context) error { return drainInbox(ctx, c, a, cfg.Window, expect[a], &got) })
		}
	}
	if err := sendDocuments(ctx, c, cfg, plan); err != nil {
		stopReceivers()
		_ = receivers.Wait()
		return nil, err
	}
	sendTime := time.Since(start)
	if err := receivers.Wait(); err != nil {
		return nil, fmt.Errorf("loadtest: receiving: %w", err)
	}
	all := time.Since(start)
	afterSent, afterReceived, err := countedDocuments(ctx, stats)
	if err != nil {
		return nil, err
	}
	r := &DocumentReport{
		Month: cfg.Month, Sent: sent, Received: got.Load(),
		CountedSent: afterSent - beforeSent, CountedReceived: afterReceived - beforeReceived,
		Seconds: all.Seconds(), SentPerSecond: float64(sent) / sendTime.Seconds(), ReceivedPerSecond: float64(got.Load()) / all.Seconds(),
	}
	r.Reconciled = r.CountedSent == sent && r.CountedReceived == received && r.Received == received
	log.Debug("document replay done", zap.Int64("sent", sent), zap.Int64("received", r.Received))
	return r, nil
}

// docPlan is one document: its sender and recipients.
type docPlan struct {
	sender     string
	recipients []string
}

// planDocuments spreads received receptions over sent documents (each
// gets received/sent recipients, the first received%sent one more), the
// senders and recipients cycling through agencies; expect counts each
// recipient's documents.
func planDocuments(sent, received int64, agencies []string, expect map[string]int64) []docPlan {
	base, extra := received/sent, received%sent
	out := make([]docPlan, sent)
	n := len(agencies)
	next := 0
	for i := range out {
		k := base
		if int64(i) < extra {
			k++
		}
		sender := agencies[i%n]
		p := docPlan{sender: sender}
		for len(p.recipients) < int(k) {
			r := agencies[next%n]
			next++
			if r == sender {
				continue
			}
			p.recipients = append(p.recipients, r)
			expect[r]++
		}
		out[i] = p
	}
	return out
}

func sendDocuments(ctx context.Context, c hubv1.DocumentServiceClient, cfg DocumentConfig, plan []docPlan) error {
	g := newGroup(ctx, cfg.Concurrency)
	for i, p := range plan {
		g.Go(func(ctx context.Context) error {
			_, err := c.SendDocument(ctx, &hubv1.SendDocumentRequest{Envelope: &hubv1.DocumentEnvelope{
				DocumentId: fmt.Sprintf("lt-%s-%d", cfg.RunID, i), Sender: p.sender, Recipients: p.recipients,
				DocumentNumber: fmt.Sprintf("%d/CV-UBND", i+1), DocumentType: "công văn", Subject: "Văn bản thử tải",
				Content: []byte("Kính gửi các cơ quan, đơn vị."),
			}})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// drainInbox receives and acknowledges n documents of recipient's inbox.
func drainInbox(ctx context.Context, c hubv1.DocumentServiceClient, recipient string, window uint32, n int64, got *atomic.Int64) error {
	stream, err := c.ReceiveDocuments(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Open{Open: &hubv1.ReceiveOpen{Recipient: recipient, Window: window}}}); err != nil {
		return err
	}
	seen := map[string]bool{}
	for int64(len(seen)) < n {
		resp, err := stream.Recv()
		if err != nil {
			return fmt.Errorf("%s after %d documents: %w", recipient, len(seen), err)
		}
		d := resp.GetDocument()
		if key := d.GetEnvelope().GetSender() + "|" + d.GetEnvelope().GetDocumentId(); !seen[key] {
			seen[key] = true
			got.Add(1)
		}
		if err := stream.Send(&hubv1.ReceiveDocumentsRequest{Request: &hubv1.ReceiveDocumentsRequest_Ack{Ack: &hubv1.DocumentAck{Sequence: d.GetSequence()}}}); err != nil {
			return err
		}
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// countedDocuments is today's document-sent and document-received counts.
func countedDocuments(ctx context.Context, stats hubv1.StatsServiceClient) (sent, received int64, err error) {
	resp, err := stats.GetStats(ctx, &hubv1.GetStatsRequest{Sync: true})
	if err != nil {
		return 0, 0, fmt.Errorf("loadtest: read the counters: %w", err)
	}
	for _, r := range resp.GetStats().GetRows() {
		switch r.GetService() {
		case documents.ServiceSent:
			sent += r.GetCount()
		case documents.ServiceReceived:
			received += r.GetCount()
		}
	}
	return sent, received, nil
}

// group runs functions, at most limit at once (0: no limit), and returns
// the first error, cancelling the others' context.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newGroup(ctx context.Context, limit int) *group {
	g := &group{}
	g.ctx, g.cancel = context.WithCancel(ctx)
	if limit > 0 {
		g.sem = make(chan struct{}, limit)
	}
	return g
}

// Go runs f, waiting for a slot first.
func (g *group) Go(f func(ctx context.Context) error) {
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
		case <-g.ctx.Done():
			return
		}
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if g.sem != nil {
			defer func() { <-g.sem }()
		}
		if err := f(g.ctx); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

// Wait waits for every function and returns the first error.
func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
