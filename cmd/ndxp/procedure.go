package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nuid"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

type procedureFlags struct {
	cf       clientFlags
	province string
	dossier  string
	seed     uint64
	timeout  time.Duration
	asJSON   bool
}

func newProcedureCmd() *cobra.Command {
	f := &procedureFlags{}
	cmd := &cobra.Command{
		Use:   "procedure",
		Short: "Submit an interlinked procedure (liên thông) to a province's LGSP through the hub",
		Long: `Submit an interlinked procedure to a province's LGSP through the hub. The LGSP
carries each step through the hub as a counted transaction, undoes the
steps already done if one fails, and answers with one result; this command
prints the steps, the reference numbers and the transactions the hub
counted for the dossier. A procedure that ends FAILED exits with status 1.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.province, "province", "H29", "the submitting province: its LGSP's agency code (000.00.00.H29), its last group (H29) or its 3-digit code (079)")
	pf.StringVar(&f.dossier, "dossier", "", "dossier id (default: a new one); resubmitting an id returns its first result")
	pf.Uint64Var(&f.seed, "seed", 1, "seed of the synthetic population, to pick parents or a deceased when none is given")
	pf.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the whole procedure")
	pf.BoolVar(&f.asJSON, "json", false, "print JSON: the procedure's result (the ProcedureResult message) and the transactions counted")
	cmd.AddCommand(newBirthCmd(f), newDeathCmd(f))
	return cmd
}

func newBirthCmd(f *procedureFlags) *cobra.Command {
	req := &lgspv1.BirthProcedureRequest{Residence: &populationv1.Address{}}
	var (
		sex      string
		onEvents bool
	)
	cmd := &cobra.Command{
		Use:     "birth",
		Short:   "Birth registration -> personal ID number -> permanent residence -> child's health insurance card",
		Example: "  ndxp procedure birth --province H29 --child-name 'Nguyễn Minh An' --mother 001194053383",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prov, err := resolveProvince(f.province)
			if err != nil {
				return err
			}
			if req.Sex, err = parseSex(sex); err != nil {
				return err
			}
			if req.GetFatherPersonalId() == "" && req.GetMotherPersonalId() == "" {
				req.MotherPersonalId = synth.Population{Seed: f.seed}.Sample(rand.New(rand.NewPCG(f.seed, 7)))
			}
			if req.Residence.Province == "" {
				req.Residence.Province, req.Residence.ProvinceCode = prov.Name, prov.Code
			}
			req.DossierId = f.dossierID()
			resp := &lgspv1.BirthProcedureResponse{}
			service := "procedure-birth"
			if onEvents {
				service = "procedure-birth-events"
			}
			return f.submit(cmd, prov, service, req, resp, func() *lgspv1.ProcedureResult { return resp.GetResult() })
		},
	}
	f.cf.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&req.ChildName, "child-name", "Nguyễn Minh An", "the child's full name")
	fs.StringVar(&req.DateOfBirth, "date-of-birth", vn.Day(time.Now().AddDate(0, 0, -3)), "the child's date of birth, YYYY-MM-DD")
	fs.StringVar(&sex, "sex", "female", "male or female")
	fs.StringVar(&req.FatherPersonalId, "father", "", "the father's personal ID number")
	fs.StringVar(&req.MotherPersonalId, "mother", "", "the mother's personal ID number (default: a citizen of the synthetic population when no parent is given)")
	fs.StringVar(&req.FatherName, "father-name", "", "the father's name")
	fs.StringVar(&req.MotherName, "mother-name", "", "the mother's name")
	fs.StringVar(&req.Residence.Ward, "ward", "Phường Bến Nghé", "ward of the permanent residence")
	fs.StringVar(&req.Residence.District, "district", "Quận 1", "district of the permanent residence")
	fs.StringVar(&req.Residence.Street, "street", "12 Lê Lợi", "street of the permanent residence")
	fs.BoolVar(&onEvents, "events", false, "run it on life events (docs/events.md): the birth registered, the agencies react")
	return cmd
}

func newDeathCmd(f *procedureFlags) *cobra.Command {
	req := &lgspv1.DeathProcedureRequest{}
	cmd := &cobra.Command{
		Use:     "death",
		Short:   "Death registration -> removal of permanent residence -> funeral allowance -> personal ID number cancelled",
		Example: "  ndxp procedure death --province H29 --personal-id 001194053383 --full-name 'Trần Thị Lệ' --claimant 079090000123",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prov, err := resolveProvince(f.province)
			if err != nil {
				return err
			}
			pop := synth.Population{Seed: f.seed}
			r := rand.New(rand.NewPCG(f.seed, uint64(time.Now().UnixNano())))
			if req.GetPersonalId() == "" {
				req.PersonalId = pop.Sample(r)
				c, _ := pop.Citizen(req.PersonalId)
				req.FullName = c.GetFullName()
			}
			if req.GetClaimantPersonalId() == "" {
				req.ClaimantPersonalId = pop.Sample(r)
			}
			req.DossierId = f.dossierID()
			resp := &lgspv1.DeathProcedureResponse{}
			return f.submit(cmd, prov, "procedure-death", req, resp, func() *lgspv1.ProcedureResult { return resp.GetResult() })
		},
	}
	f.cf.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&req.PersonalId, "personal-id", "", "the deceased's personal ID number (default: a random citizen of the synthetic population)")
	fs.StringVar(&req.FullName, "full-name", "", "the deceased's name")
	fs.StringVar(&req.DateOfDeath, "date-of-death", vn.Day(time.Now().AddDate(0, 0, -1)), "YYYY-MM-DD")
	fs.StringVar(&req.Cause, "cause", "", "declared cause of death")
	fs.StringVar(&req.ClaimantPersonalId, "claimant", "", "who receives the funeral allowance (default: a random citizen)")
	return cmd
}

func (f *procedureFlags) dossierID() string {
	if f.dossier != "" {
		return f.dossier
	}
	return "HS-" + nuid.Next()
}

// submit sends the procedure to the province's LGSP through the hub, as
// the LGSP itself (its one-stop-shop front end), prints the result and the
// transactions the hub recorded for the dossier.
func (f *procedureFlags) submit(cmd *cobra.Command, prov *vn.Province, service string, req, resp proto.Message, result func() *lgspv1.ProcedureResult) error {
	conn, err := f.cf.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	payload, err := anypb.New(req)
	if err != nil {
		return err
	}
	dossier := req.ProtoReflect().Get(req.ProtoReflect().Descriptor().Fields().ByName("dossier_id")).String()
	stats := hubv1.NewStatsServiceClient(conn)
	before, _, err := counted(ctx, stats)
	if err != nil {
		return err
	}
	out, err := hubv1.NewExchangeServiceClient(conn).Exchange(ctx, &hubv1.ExchangeRequest{
		MessageId: dossier, Consumer: prov.AgencyCode, Provider: prov.AgencyCode, Service: service,
		Payload: payload, Purpose: dossier, UserId: "mot-cua-" + prov.Code,
	})
	var res *lgspv1.ProcedureResult
	switch {
	case status.Code(err) == codes.Aborted:
		// A dossier that failed is answered ABORTED (counted as failed);
		// its result is kept for procedure-status.
		if res, err = dossierStatus(ctx, conn, prov, dossier); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("%s at %s through %s: %w", service, prov.AgencyCode, f.cf.hub, err)
	default:
		if err := out.GetPayload().UnmarshalTo(resp); err != nil {
			return fmt.Errorf("unexpected answer: %w", err)
		}
		res = result()
	}
	after, st, err := counted(ctx, stats)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.asJSON {
		err = writeProcedureJSON(w, res, before, after, st)
	} else {
		printResult(w, res)
		printTransactions(w, before, after, st)
	}
	if err == nil && !res.GetCompleted() {
		err = failedError{fmt.Sprintf("procedure %s FAILED at %s", res.GetDossierId(), res.GetFailedStep())}
	}
	return err
}

// dossierStatus asks the province's LGSP for a dossier's result.
func dossierStatus(ctx context.Context, conn grpc.ClientConnInterface, prov *vn.Province, dossier string) (*lgspv1.ProcedureResult, error) {
	payload, err := anypb.New(&lgspv1.ProcedureStatusRequest{DossierId: dossier})
	if err != nil {
		return nil, err
	}
	out, err := hubv1.NewExchangeServiceClient(conn).Exchange(ctx, &hubv1.ExchangeRequest{
		Consumer: prov.AgencyCode, Provider: prov.AgencyCode, Service: "procedure-status",
		Payload: payload, Purpose: dossier, UserId: "mot-cua-" + prov.Code,
	})
	if err != nil {
		return nil, fmt.Errorf("procedure-status of dossier %s: %w", dossier, err)
	}
	st := &lgspv1.ProcedureStatusResponse{}
	if err := out.GetPayload().UnmarshalTo(st); err != nil || !st.GetFound() {
		return nil, fmt.Errorf("procedure-status of dossier %s: not found (%v)", dossier, err)
	}
	return st.GetResult(), nil
}

// procedureJSON is `ndxp procedure --json`.
type procedureJSON struct {
	Result       json.RawMessage `json:"result"`
	Transactions []countedRow    `json:"transactions"`
	Period       string          `json:"period"`
	Total        int64           `json:"total"`
	Succeeded    int64           `json:"succeeded"`
	Failed       int64           `json:"failed"`
}

// countedRow is what a counter row gained during the procedure.
type countedRow struct {
	Consumer string `json:"consumer"`
	Provider string `json:"provider"`
	Service  string `json:"service"`
	Code     string `json:"code"`
	Count    int64  `json:"count"`
}

func writeProcedureJSON(w io.Writer, r *lgspv1.ProcedureResult, before, after map[string]int64, st *hubv1.Stats) error {
	res, err := jsonBytes(r)
	if err != nil {
		return err
	}
	c := st.GetCount()
	out := procedureJSON{Result: res, Transactions: []countedRow{}, Period: st.GetPeriod(), Total: c.GetTotal(), Succeeded: c.GetSucceeded(), Failed: c.GetFailed()}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if d := after[k] - before[k]; d > 0 {
			p := strings.Split(k, "\t")
			out.Transactions = append(out.Transactions, countedRow{Consumer: p[0], Provider: p[1], Service: p[2], Code: p[3], Count: d})
		}
	}
	return writeJSON(w, out)
}

func printResult(w io.Writer, r *lgspv1.ProcedureResult) {
	outcome := "COMPLETED"
	if !r.GetCompleted() {
		outcome = "FAILED at " + r.GetFailedStep() + "; the steps done before were undone"
	}
	fmt.Fprintf(w, "dossier %s (%s procedure): %s\n\n", r.GetDossierId(), r.GetProcedure(), outcome)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tPROVIDER\tSTATUS\tREFERENCE\tMESSAGE ID\tERROR")
	for _, s := range r.GetSteps() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.GetName(), s.GetProvider(),
			strings.TrimPrefix(s.GetStatus().String(), "STEP_STATUS_"), s.GetRef(), s.GetMessageId(), s.GetError())
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	for _, kv := range [][2]string{
		{"personal ID number", r.GetPersonalId()}, {"registration", r.GetRegistrationRef()}, {"residence", r.GetResidenceRef()},
		{"health insurance card", r.GetCardNumber()}, {"funeral allowance", r.GetAllowanceRef()},
	} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%-22s %s\n", kv[0]+":", kv[1])
		}
	}
}

// counted reads today's counters back (sync: every recorded transaction
// included) as rows keyed by consumer, provider, service and code.
func counted(ctx context.Context, stats hubv1.StatsServiceClient) (map[string]int64, *hubv1.Stats, error) {
	st, err := stats.GetStats(ctx, &hubv1.GetStatsRequest{Sync: true})
	if err != nil {
		return nil, nil, fmt.Errorf("stats: %w", err)
	}
	rows := map[string]int64{}
	for _, r := range st.GetStats().GetRows() {
		rows[strings.Join([]string{r.GetConsumer(), r.GetProvider(), r.GetService(), r.GetCode()}, "\t")] = r.GetCount()
	}
	return rows, st.GetStats(), nil
}

// printTransactions prints what the counters gained since before: the
// hops of the procedure (and whatever else ran meanwhile).
func printTransactions(w io.Writer, before, after map[string]int64, st *hubv1.Stats) {
	fmt.Fprintf(w, "\ntransactions the hub counted meanwhile (stats read back with sync):\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONSUMER\tPROVIDER\tSERVICE\tCODE\tCOUNT")
	keys := slices.Sorted(maps.Keys(after))
	var n int64
	for _, k := range keys {
		if d := after[k] - before[k]; d > 0 {
			n += d
			fmt.Fprintf(tw, "%s\t%d\n", k, d)
		}
	}
	_ = tw.Flush()
	c := st.GetCount()
	fmt.Fprintf(w, "%d transactions; the hub's counters for %s: %d total, %d succeeded, %d failed\n",
		n, st.GetPeriod(), c.GetTotal(), c.GetSucceeded(), c.GetFailed())
}

func resolveProvince(s string) (*vn.Province, error) {
	for i := range vn.Provinces {
		p := &vn.Provinces[i]
		if s == p.AgencyCode || s == p.Code || strings.HasSuffix(p.AgencyCode, "."+s) {
			return p, nil
		}
	}
	return nil, usagef("--province %q: not a province (try H29, 000.00.00.H29 or 079)", s)
}

func parseSex(s string) (populationv1.Sex, error) {
	switch strings.ToLower(s) {
	case "male", "m", "nam":
		return populationv1.Sex_SEX_MALE, nil
	case "female", "f", "nu", "nữ":
		return populationv1.Sex_SEX_FEMALE, nil
	}
	return 0, usagef("--sex %q: want male or female", s)
}
