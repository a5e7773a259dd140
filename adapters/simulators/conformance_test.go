package simulators_test

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/conformance"
	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/adapters/simulators"
	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/internal/vn"
	businessv1 "github.com/ndxp/ndxp/proto/ndxp/business/v1"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	documentv1 "github.com/ndxp/ndxp/proto/ndxp/document/v1"
	genericv1 "github.com/ndxp/ndxp/proto/ndxp/generic/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	landv1 "github.com/ndxp/ndxp/proto/ndxp/land/v1"
	lgspv1 "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	officialsv1 "github.com/ndxp/ndxp/proto/ndxp/officials/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
	portalv1 "github.com/ndxp/ndxp/proto/ndxp/portal/v1"
	reportingv1 "github.com/ndxp/ndxp/proto/ndxp/reporting/v1"
)

// citizens hands out distinct citizens of the seed-1 population, so that
// stateful services (cancel, death) get a fresh one each time.
var citizens = struct {
	sync.Mutex
	r    *rand.Rand
	used map[string]bool
}{r: rand.New(rand.NewPCG(1, 2)), used: map[string]bool{}}

func citizen() string {
	citizens.Lock()
	defer citizens.Unlock()
	for {
		id := synth.Population{Seed: 1}.Sample(citizens.r)
		if !citizens.used[id] {
			citizens.used[id] = true
			return id
		}
	}
}

func nameOf(id string) string {
	c, _ := synth.Population{Seed: 1}.Citizen(id)
	return c.GetFullName()
}

type valid = map[string]func(testing.TB, *conformance.Caller) proto.Message

func fixed(m proto.Message) func(testing.TB, *conformance.Caller) proto.Message {
	return func(testing.TB, *conformance.Caller) proto.Message { return proto.CloneOf(m) }
}

func fresh(f func() proto.Message) func(testing.TB, *conformance.Caller) proto.Message {
	return func(testing.TB, *conformance.Caller) proto.Message { return f() }
}

var (
	yesterday = vn.Day(time.Now().AddDate(0, 0, -1))
	address   = &populationv1.Address{Province: "Hồ Chí Minh", ProvinceCode: "079", District: "Quận 1", Ward: "Phường Bến Nghé", Street: "12 Lê Lợi"}
)

func birthRequest() proto.Message {
	return &civilv1.RegisterBirthRequest{ChildName: "Nguyễn Minh An", DateOfBirth: yesterday, Sex: populationv1.Sex_SEX_FEMALE, ProvinceCode: "079", MotherPersonalId: citizen()}
}

func populationTarget() (valid, map[string]conformance.Invalid) {
	return valid{
			"citizen-lookup": fresh(func() proto.Message { return &populationv1.LookupCitizenRequest{PersonalId: citizen()} }),
			"citizen-verify": fresh(func() proto.Message { return &populationv1.VerifyCitizenRequest{PersonalId: citizen()} }),
			"pid-issue": fixed(&populationv1.IssuePersonalIdRequest{FullName: "Lê Gia Bảo", DateOfBirth: yesterday, Sex: populationv1.Sex_SEX_MALE,
				BirthProvinceCode: "079", BirthRegistrationRef: "KS-079-2026-000001"}),
			"pid-cancel": fresh(func() proto.Message {
				return &populationv1.CancelPersonalIdRequest{PersonalId: citizen(), Reason: "death"}
			}),
			"residence-register": fresh(func() proto.Message {
				return &populationv1.RegisterResidenceRequest{PersonalId: citizen(), Address: address}
			}),
			"residence-remove": fresh(func() proto.Message {
				return &populationv1.RemoveResidenceRequest{PersonalId: citizen(), Reason: "moved abroad"}
			}),
			"household-members": fresh(func() proto.Message { return &populationv1.HouseholdMembersRequest{PersonalId: citizen()} }),
		}, map[string]conformance.Invalid{
			"citizen-lookup":     {Request: &populationv1.LookupCitizenRequest{PersonalId: "0011940"}, Field: "personal_id"},
			"citizen-verify":     {Request: &populationv1.VerifyCitizenRequest{PersonalId: "abc"}, Field: "personal_id"},
			"pid-issue":          {Request: &populationv1.IssuePersonalIdRequest{FullName: "A", Sex: populationv1.Sex_SEX_MALE, BirthRegistrationRef: "x", BirthProvinceCode: "999"}, Field: "birth_province_code"},
			"pid-cancel":         {Request: &populationv1.CancelPersonalIdRequest{PersonalId: "001194053383"}, Field: "reason"},
			"residence-register": {Request: &populationv1.RegisterResidenceRequest{PersonalId: "001194053383"}, Field: "address"},
			"residence-remove":   {Request: &populationv1.RemoveResidenceRequest{PersonalId: "001194053383"}, Field: "reason"},
			"household-members":  {Request: &populationv1.HouseholdMembersRequest{PersonalId: "12"}, Field: "personal_id"},
		}
}

func civilTarget() (valid, map[string]conformance.Invalid) {
	registered := func(t testing.TB, c *conformance.Caller) string {
		out := &civilv1.RegisterBirthResponse{}
		c.Must(t, "birth-register", birthRequest(), out)
		return out.GetRecord().GetRef()
	}
	return valid{
			"birth-register": fresh(birthRequest),
			"marriage-register": fresh(func() proto.Message {
				a, b := citizen(), citizen()
				return &civilv1.RegisterMarriageRequest{Spouse1PersonalId: a, Spouse2PersonalId: b, Spouse1Name: nameOf(a), Spouse2Name: nameOf(b), ProvinceCode: "001"}
			}),
			"death-register": fresh(func() proto.Message {
				id := citizen()
				return &civilv1.RegisterDeathRequest{PersonalId: id, FullName: nameOf(id), DateOfDeath: yesterday, ProvinceCode: "001"}
			}),
			"record-lookup": func(t testing.TB, c *conformance.Caller) proto.Message {
				return &civilv1.LookupRecordRequest{Ref: registered(t, c)}
			},
			"record-cancel": func(t testing.TB, c *conformance.Caller) proto.Message {
				return &civilv1.CancelRecordRequest{Ref: registered(t, c), Reason: "withdrawn"}
			},
		}, map[string]conformance.Invalid{
			"birth-register":    {Request: &civilv1.RegisterBirthRequest{}, Field: "child_name"},
			"marriage-register": {Request: &civilv1.RegisterMarriageRequest{}, Field: "spouse1_personal_id"},
			"death-register":    {Request: &civilv1.RegisterDeathRequest{PersonalId: "001194053383"}, Field: "full_name"},
			"record-lookup":     {Request: &civilv1.LookupRecordRequest{}, Field: "ref"},
			"record-cancel":     {Request: &civilv1.CancelRecordRequest{}, Field: "ref"},
		}
}

func childCard() proto.Message {
	return &insurancev1.IssueChildCardRequest{PersonalId: citizen(), FullName: "Nguyễn Minh An", DateOfBirth: yesterday}
}

func insuranceTarget() (valid, map[string]conformance.Invalid) {
	return valid{
			"household-verify": fresh(func() proto.Message {
				id := citizen()
				return &insurancev1.VerifyHouseholdRequest{PersonalId: id, DeclaredMemberIds: []string{id}}
			}),
			"child-card-issue": fresh(childCard),
			"funeral-allowance": fresh(func() proto.Message {
				return &insurancev1.FuneralAllowanceRequest{DeceasedPersonalId: citizen(), DeathRegistrationRef: "KT-001-2026-000001", ClaimantPersonalId: citizen()}
			}),
			"card-lookup": func(t testing.TB, c *conformance.Caller) proto.Message {
				req := childCard().(*insurancev1.IssueChildCardRequest)
				c.Must(t, "child-card-issue", req, &insurancev1.IssueChildCardResponse{})
				return &insurancev1.LookupCardRequest{PersonalId: req.GetPersonalId()}
			},
		}, map[string]conformance.Invalid{
			"household-verify":  {Request: &insurancev1.VerifyHouseholdRequest{PersonalId: "001194053383"}, Field: "declared_member_ids"},
			"child-card-issue":  {Request: &insurancev1.IssueChildCardRequest{PersonalId: "001194053383"}, Field: "full_name"},
			"funeral-allowance": {Request: &insurancev1.FuneralAllowanceRequest{}, Field: "deceased_personal_id"},
			"card-lookup":       {Request: &insurancev1.LookupCardRequest{}, Field: "card_number"},
		}
}

func birthProcedure() proto.Message {
	return &lgspv1.BirthProcedureRequest{ChildName: "Trần Bảo Ngọc", DateOfBirth: yesterday, Sex: populationv1.Sex_SEX_FEMALE, MotherPersonalId: citizen(), Residence: address}
}

func provinceTarget() (valid, map[string]conformance.Invalid) {
	return valid{
			"land-parcel-lookup": fixed(&lgspv1.LookupParcelRequest{Sheet: 12, Number: 345}),
			"procedure-status": func(t testing.TB, c *conformance.Caller) proto.Message {
				out := &lgspv1.BirthProcedureResponse{}
				c.Must(t, "procedure-birth", birthProcedure(), out)
				return &lgspv1.ProcedureStatusRequest{DossierId: out.GetResult().GetDossierId()}
			},
			"procedure-birth":        fresh(birthProcedure),
			"procedure-birth-events": fresh(birthProcedure),
			"procedure-death": fresh(func() proto.Message {
				id := citizen()
				return &lgspv1.DeathProcedureRequest{PersonalId: id, FullName: nameOf(id), DateOfDeath: yesterday, ClaimantPersonalId: citizen()}
			}),
		}, map[string]conformance.Invalid{
			"land-parcel-lookup":     {Request: &lgspv1.LookupParcelRequest{Sheet: -1}, Field: "sheet"},
			"procedure-status":       {Request: &lgspv1.ProcedureStatusRequest{}, Field: "dossier_id"},
			"procedure-birth":        {Request: &lgspv1.BirthProcedureRequest{}, Field: "child_name"},
			"procedure-birth-events": {Request: &lgspv1.BirthProcedureRequest{}, Field: "child_name"},
			"procedure-death":        {Request: &lgspv1.DeathProcedureRequest{}, Field: "personal_id"},
		}
}

func TestConformance(t *testing.T) {
	full, err := topology.Builtin("2023")
	if err != nil {
		t.Fatal(err)
	}
	support := func(codes ...string) *topology.Topology {
		sub, err := full.Filter(codes...)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	pop, popBad := populationTarget()
	civ, civBad := civilTarget()
	ins, insBad := insuranceTarget()
	prov, provBad := provinceTarget()
	tests := []struct {
		code    string
		valid   valid
		invalid map[string]conformance.Invalid
		support *topology.Topology
		probe   string
	}{
		{code: topology.PopulationCode, valid: pop, invalid: popBad},
		{code: topology.CivilRegistryCode, valid: civ, invalid: civBad, probe: "birth-register"},
		{code: topology.SocialInsuranceCode, valid: ins, invalid: insBad, support: support(topology.PopulationCode), probe: "child-card-issue"},
		{code: "000.00.00.H29", valid: prov, invalid: provBad, probe: "land-parcel-lookup",
			support: support(topology.PopulationCode, topology.CivilRegistryCode, topology.SocialInsuranceCode)},
		{code: topology.Ministries[0].Code, valid: valid{"procedure-status": fixed(&lgspv1.ProcedureStatusRequest{DossierId: "HS-unknown"})},
			invalid: map[string]conformance.Invalid{"procedure-status": {Request: &lgspv1.ProcedureStatusRequest{}, Field: "dossier_id"}}},
		{code: topology.LandCode, valid: valid{"parcel-lookup": fixed(&landv1.LookupParcelRequest{ProvinceCode: "001", Sheet: 3, Number: 14})},
			invalid: map[string]conformance.Invalid{"parcel-lookup": {Request: &landv1.LookupParcelRequest{Sheet: 1, Number: 1}, Field: "province_code"}}},
		{code: topology.BusinessRegistrationCode, valid: valid{"enterprise-lookup": fixed(&businessv1.LookupEnterpriseRequest{EnterpriseCode: "0101234567"})},
			invalid: map[string]conformance.Invalid{"enterprise-lookup": {Request: &businessv1.LookupEnterpriseRequest{EnterpriseCode: "12"}, Field: "enterprise_code"}}},
		{code: topology.OfficialsCode, valid: valid{"official-lookup": fresh(func() proto.Message { return &officialsv1.LookupOfficialRequest{PersonalId: citizen()} })},
			invalid: map[string]conformance.Invalid{"official-lookup": {Request: &officialsv1.LookupOfficialRequest{PersonalId: "1"}, Field: "personal_id"}}},
		{code: topology.DocumentExchangeCode, valid: valid{"document-send": fixed(&documentv1.SendDocumentRequest{RecipientCode: "000.00.00.H01", DocumentNumber: "76/BC-BTTTT", Subject: "Báo cáo tháng 8"})},
			invalid: map[string]conformance.Invalid{"document-send": {Request: &documentv1.SendDocumentRequest{}, Field: "recipient_code"}}},
		{code: topology.PublicServicePortalCode, valid: valid{"dossier-sync": fixed(&portalv1.SyncDossierRequest{DossierId: "HS-1", ProcedureCode: "1.001193", Status: "done"})},
			invalid: map[string]conformance.Invalid{"dossier-sync": {Request: &portalv1.SyncDossierRequest{}, Field: "dossier_id"}}},
		{code: topology.ReportingCode, valid: valid{"report-submit": fixed(&reportingv1.SubmitReportRequest{ReportCode: "BC-CDS-01", Period: "2023-05", Indicators: map[string]float64{"transactions": 28045703}})},
			invalid: map[string]conformance.Invalid{"report-submit": {Request: &reportingv1.SubmitReportRequest{ReportCode: "BC-CDS-01", Period: "2023"}, Field: "period"}}},
		{code: genericCode(full), valid: valid{"ping": fixed(&genericv1.PingRequest{Text: "xin chào"}), "status": fixed(&genericv1.StatusRequest{})},
			invalid: map[string]conformance.Invalid{"ping": {Request: &genericv1.PingRequest{Text: strings.Repeat("x", 2000)}, Field: "text"}}},
	}
	for _, tt := range tests {
		a := full.Find(tt.code)
		if a == nil {
			t.Fatalf("no agency %s in the 2023 topology", tt.code)
		}
		t.Run(a.Simulator+"/"+a.Code, func(t *testing.T) {
			one := &topology.Topology{Name: "one", Agencies: []topology.Agency{*a}}
			conformance.Run(t, conformance.Target{
				Agency: *a, Support: tt.support, Valid: tt.valid, Invalid: tt.invalid, Probe: tt.probe,
				New: func() node.Service {
					set, err := simulators.Build(one, simulators.Config{Seed: 1})
					if err != nil {
						t.Fatal(err)
					}
					return set.Services[0]
				},
			})
		})
	}
}

func genericCode(t *topology.Topology) string {
	for _, a := range t.Agencies {
		if a.Simulator == topology.SimulatorGeneric {
			return a.Code
		}
	}
	return ""
}
