package loadtest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/internal/vn"
	businessv1 "github.com/ndxp/ndxp/proto/ndxp/business/v1"
	civilv1 "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	documentv1 "github.com/ndxp/ndxp/proto/ndxp/document/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	landv1 "github.com/ndxp/ndxp/proto/ndxp/land/v1"
	officialsv1 "github.com/ndxp/ndxp/proto/ndxp/officials/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
	portalv1 "github.com/ndxp/ndxp/proto/ndxp/portal/v1"
	reportingv1 "github.com/ndxp/ndxp/proto/ndxp/reporting/v1"
)

// builders make valid requests for the simulators' services (adapters/
// population, civilregistry, insurance, basic) from the synthetic
// population. Each request is new random data: a state-changing service
// (an ID number issued, a death registered) gets a citizen or a newborn
// drawn at random among billions, so a run, or the next run against the
// same simulators, collides with an earlier change only by rare chance.
// Dates are relative to the wall clock, which is what the simulators
// check them against (not in the future, a child under 6), not to the
// replayed day. Every method is safe for concurrent use.
type builders struct {
	pop synth.Population
	now func() time.Time
	ids *newbornIDs
}

// newBuilders returns the builders of a run; key (from the seed and the
// run id) seeds the numbering of newborns.
func newBuilders(pop synth.Population, now func() time.Time, key uint64) builders {
	return builders{pop: pop, now: now, ids: newNewbornIDs(key)}
}

// perProvince is the number of personal ID numbers of a province and a
// birth year: two sexes times a million serials.
const perProvince = 2_000_000

// idStride is prime, so coprime with perProvince: k*idStride mod
// perProvince runs through every number once before repeating.
const idStride = 1_299_709

// newbornIDs numbers newborns without repeating within a run: the k-th
// newborn of a province gets index (offset + k*idStride) mod perProvince
// (sex, then serial), offset random per run and province. Two runs draw
// independent offsets, so their numbers meet only by chance.
type newbornIDs struct {
	offset []uint64
	next   []atomic.Uint64
}

func newNewbornIDs(key uint64) *newbornIDs {
	r := rand.New(rand.NewPCG(key, 0x6e6577626f726e))
	n := &newbornIDs{offset: make([]uint64, len(vn.Provinces)), next: make([]atomic.Uint64, len(vn.Provinces))}
	for i := range n.offset {
		n.offset[i] = r.Uint64N(perProvince)
	}
	return n
}

// take returns the next newborn number of province i (vn.Provinces) born
// in year, and its sex.
func (n *newbornIDs) take(i, year int) (string, populationv1.Sex) {
	k := (n.offset[i] + n.next[i].Add(1)*idStride) % perProvince
	sex := populationv1.Sex_SEX_MALE
	if k >= perProvince/2 {
		sex = populationv1.Sex_SEX_FEMALE
	}
	return synth.PID{Province: &vn.Provinces[i], Sex: sex, BirthYear: year, Serial: int(k % (perProvince / 2))}.String(), sex
}

// funcs returns the builders keyed by request type.
func (b builders) funcs() map[string]PayloadFunc {
	out := map[string]PayloadFunc{}
	for _, f := range []func(*rand.Rand) proto.Message{
		b.lookup, b.verify, b.householdMembers, b.residenceRegister, b.residenceRemove, b.pidIssue, b.pidCancel,
		b.birth, b.death, b.marriage,
		b.householdVerify, b.childCard, b.funeral,
		b.parcel, b.enterprise, b.official, b.document, b.dossier, b.report,
	} {
		// Each builder's type, from one sample: builders never return nil.
		name := string(f(rand.New(rand.NewPCG(1, 1))).ProtoReflect().Descriptor().FullName())
		out[name] = f
	}
	return out
}

// byPopulation draws a province of vn.Provinces in proportion to its
// population, as synth.Population.Sample does.
var byPopulation = func() picker {
	w := make([]float64, len(vn.Provinces))
	for i, p := range vn.Provinces {
		w[i] = float64(max(synth.ProvincePopulation(p.Code), 1))
	}
	return newPicker(w)
}()

// citizen returns the record of an existing citizen of the given sex
// (SEX_UNSPECIFIED: either) born in from..to (clamped to the synthetic
// population's birth years), drawn like synth.Population.Sample: province
// by population, then a uniform birth year and serial until the number
// belongs to a citizen. If the population has no one born in from..to,
// it returns any citizen.
func (b builders) citizen(r *rand.Rand, sex populationv1.Sex, from, to int) *populationv1.Citizen {
	from, to = max(from, synth.FirstBirthYear), min(to, synth.LastBirthYear)
	if from > to {
		return b.anyone(r)
	}
	for {
		pid := synth.PID{Province: &vn.Provinces[byPopulation.pick(r)], Sex: sex, BirthYear: from + r.IntN(to-from+1), Serial: r.IntN(1_000_000)}
		if sex == populationv1.Sex_SEX_UNSPECIFIED {
			pid.Sex = randomSex(r)
		}
		if c, ok := b.pop.Citizen(pid.String()); ok {
			return c
		}
	}
}

// anyone returns the record of a random existing citizen.
func (b builders) anyone(r *rand.Rand) *populationv1.Citizen {
	c, _ := b.pop.Citizen(b.pop.Sample(r))
	return c
}

// aged returns a citizen of sex aged about young..old years this year.
func (b builders) aged(r *rand.Rand, sex populationv1.Sex, young, old int) *populationv1.Citizen {
	y := b.now().Year()
	return b.citizen(r, sex, y-old, y-young)
}

// daysAgo is the day n days before today, YYYY-MM-DD (Vietnam time).
func (b builders) daysAgo(n int) string { return vn.Day(b.now().AddDate(0, 0, -n)) }

// province is where c lives.
func province(c *populationv1.Citizen) string { return c.GetPermanentResidence().GetProvinceCode() }

// family is the family name of a full name (its first word).
func family(name string) string {
	f, _, _ := strings.Cut(name, " ")
	return f
}

// given is a full name without its family name.
func given(name string) string {
	_, g, _ := strings.Cut(name, " ")
	return g
}

// randomSex draws SEX_MALE or SEX_FEMALE.
func randomSex(r *rand.Rand) populationv1.Sex {
	if r.IntN(2) == 0 {
		return populationv1.Sex_SEX_MALE
	}
	return populationv1.Sex_SEX_FEMALE
}

// registrationRef is a plausible civil registry reference
// ("KS-079-2026-004211").
func (b builders) registrationRef(r *rand.Rand, prefix, prov string) string {
	return fmt.Sprintf("%s-%s-%d-%06d", prefix, prov, b.now().In(vn.Zone).Year(), 1+r.IntN(999_999))
}

// newborn is a child of sex born in the last two months to an existing
// mother aged 18-45 and, mostly, an existing father aged 20-50, who gives
// the family name; the given name is that of a young citizen of the
// child's sex.
type newborn struct {
	name, dob      string
	sex            populationv1.Sex
	mother, father *populationv1.Citizen // father nil when not declared
}

func (b builders) newborn(r *rand.Rand, sex populationv1.Sex) newborn {
	n := newborn{sex: sex, dob: b.daysAgo(r.IntN(60))}
	n.mother = b.aged(r, populationv1.Sex_SEX_FEMALE, 18, 45)
	fam := family(n.mother.GetFullName())
	if r.IntN(20) != 0 { // one birth in twenty is registered by the mother alone
		n.father = b.aged(r, populationv1.Sex_SEX_MALE, 20, 50)
		fam = family(n.father.GetFullName())
	}
	n.name = fam + " " + given(b.citizen(r, n.sex, 2010, synth.LastBirthYear).GetFullName())
	return n
}

func (b builders) lookup(r *rand.Rand) proto.Message {
	return &populationv1.LookupCitizenRequest{PersonalId: b.pop.Sample(r)}
}

func (b builders) verify(r *rand.Rand) proto.Message {
	c := b.anyone(r)
	return &populationv1.VerifyCitizenRequest{PersonalId: c.GetPersonalId(), FullName: c.GetFullName(), DateOfBirth: c.GetDateOfBirth()}
}

func (b builders) householdMembers(r *rand.Rand) proto.Message {
	return &populationv1.HouseholdMembersRequest{PersonalId: b.pop.Sample(r)}
}

// residenceRegister: a citizen moves into the household of another, at
// the latter's address.
func (b builders) residenceRegister(r *rand.Rand) proto.Message {
	c, head := b.anyone(r), b.anyone(r)
	return &populationv1.RegisterResidenceRequest{
		PersonalId: c.GetPersonalId(), Address: head.GetPermanentResidence(), HeadPersonalId: head.GetPersonalId(),
	}
}

// residenceRemove: a citizen settles abroad.
func (b builders) residenceRemove(r *rand.Rand) proto.Message {
	return &populationv1.RemoveResidenceRequest{PersonalId: b.pop.Sample(r), Reason: "định cư ở nước ngoài"}
}

// pidIssue: a newborn gets a number; the population database draws it.
func (b builders) pidIssue(r *rand.Rand) proto.Message {
	n := b.newborn(r, randomSex(r))
	prov := province(n.mother)
	return &populationv1.IssuePersonalIdRequest{
		FullName: n.name, DateOfBirth: n.dob, Sex: n.sex, BirthProvinceCode: prov,
		FatherName: n.father.GetFullName(), MotherName: n.mother.GetFullName(),
		BirthRegistrationRef: b.registrationRef(r, "KS", prov),
	}
}

// pidCancel: the number of a citizen who died. The citizen is drawn at
// random (the run keeps no state), so a later lookup of that number
// answers FailedPrecondition: with billions of citizens, a rare chance.
func (b builders) pidCancel(r *rand.Rand) proto.Message {
	return &populationv1.CancelPersonalIdRequest{PersonalId: b.aged(r, populationv1.Sex_SEX_UNSPECIFIED, 60, 100).GetPersonalId(), Reason: "công dân đã chết"}
}

func (b builders) birth(r *rand.Rand) proto.Message {
	n := b.newborn(r, randomSex(r))
	return &civilv1.RegisterBirthRequest{
		ChildName: n.name, DateOfBirth: n.dob, Sex: n.sex, ProvinceCode: province(n.mother),
		FatherPersonalId: n.father.GetPersonalId(), MotherPersonalId: n.mother.GetPersonalId(),
		FatherName: n.father.GetFullName(), MotherName: n.mother.GetFullName(),
	}
}

var causes = []string{"tuổi già", "bệnh tật", "bệnh tim mạch", "ung thư", "tai nạn giao thông"}

// death: a citizen, mostly elderly, died in the last month.
func (b builders) death(r *rand.Rand) proto.Message {
	c := b.aged(r, populationv1.Sex_SEX_UNSPECIFIED, 60, 100)
	return &civilv1.RegisterDeathRequest{
		PersonalId: c.GetPersonalId(), FullName: c.GetFullName(), DateOfDeath: b.daysAgo(r.IntN(30)),
		ProvinceCode: province(c), Cause: causes[r.IntN(len(causes))],
	}
}

func (b builders) marriage(r *rand.Rand) proto.Message {
	h, w := b.aged(r, populationv1.Sex_SEX_MALE, 20, 40), b.aged(r, populationv1.Sex_SEX_FEMALE, 18, 38)
	return &civilv1.RegisterMarriageRequest{
		Spouse1PersonalId: h.GetPersonalId(), Spouse2PersonalId: w.GetPersonalId(),
		Spouse1Name: h.GetFullName(), Spouse2Name: w.GetFullName(), ProvinceCode: province(w),
	}
}

// householdVerify declares the citizen alone: the household the
// population database answers holds the citizen, so it matches.
func (b builders) householdVerify(r *rand.Rand) proto.Message {
	id := b.pop.Sample(r)
	return &insurancev1.VerifyHouseholdRequest{PersonalId: id, DeclaredMemberIds: []string{id}}
}

// childCard: a newborn, as the birth procedure gives it a card once it
// has a number. The number is one the newborn numbering gives once per
// run (with a birth year after the synthetic population's, no synthetic
// citizen has it), so a card is never asked twice for the same child:
// random children under 6 (about a hundred million) would meet by the
// birthday paradox, a few dozen times in a national day.
func (b builders) childCard(r *rand.Rand) proto.Message {
	i := byPopulation.pick(r)
	dob := b.daysAgo(r.IntN(60))
	year, _ := strconv.Atoi(dob[:4])
	id, sex := b.ids.take(i, year)
	n := b.newborn(r, sex)
	return &insurancev1.IssueChildCardRequest{
		PersonalId: id, FullName: n.name, DateOfBirth: dob,
		BirthRegistrationRef: b.registrationRef(r, "KS", vn.Provinces[i].Code),
	}
}

// funeral: a relative claims the allowance for a citizen who died; the
// simulator checks the form of the death registration reference, not
// that the registry holds it.
func (b builders) funeral(r *rand.Rand) proto.Message {
	d := b.aged(r, populationv1.Sex_SEX_UNSPECIFIED, 60, 100)
	return &insurancev1.FuneralAllowanceRequest{
		DeceasedPersonalId: d.GetPersonalId(), DeathRegistrationRef: b.registrationRef(r, "KT", province(d)),
		ClaimantPersonalId: b.aged(r, populationv1.Sex_SEX_UNSPECIFIED, 25, 70).GetPersonalId(),
	}
}

// provinceCode is a province drawn by population.
func (b builders) provinceCode(r *rand.Rand) string { return b.pop.Sample(r)[:3] }

func (b builders) parcel(r *rand.Rand) proto.Message {
	return &landv1.LookupParcelRequest{ProvinceCode: b.provinceCode(r), Sheet: 1 + r.Int32N(120), Number: 1 + r.Int32N(800)}
}

// enterprise: a 10-digit enterprise (tax) code; its first two digits are
// a province's, never "00".
func (b builders) enterprise(r *rand.Rand) proto.Message {
	return &businessv1.LookupEnterpriseRequest{EnterpriseCode: fmt.Sprintf("%02d%08d", 1+r.IntN(96), r.IntN(100_000_000))}
}

func (b builders) official(r *rand.Rand) proto.Message {
	return &officialsv1.LookupOfficialRequest{PersonalId: b.aged(r, populationv1.Sex_SEX_UNSPECIFIED, 23, 60).GetPersonalId()}
}

var (
	subjects = []string{
		"V/v triển khai Đề án 06 về phát triển ứng dụng dữ liệu dân cư",
		"V/v báo cáo kết quả cung cấp dịch vụ công trực tuyến",
		"V/v đôn đốc thực hiện thủ tục hành chính liên thông",
		"V/v góp ý dự thảo văn bản quy phạm pháp luật",
	}
	// documentBody is the content of every document sent: about 2 KB, a
	// typical official letter's text. It is shared and never modified.
	documentBody = []byte(strings.Repeat("Thực hiện chỉ đạo của Chính phủ về chuyển đổi số quốc gia, đề nghị các cơ quan, đơn vị khẩn trương triển khai. ", 18))
)

// document: a province's People's Committee receives an official letter.
func (b builders) document(r *rand.Rand) proto.Message {
	p := vn.Provinces[r.IntN(len(vn.Provinces))]
	return &documentv1.SendDocumentRequest{
		RecipientCode: p.AgencyCode, DocumentNumber: fmt.Sprintf("%d/UBND-VP", 1+r.IntN(9999)),
		Subject: subjects[r.IntN(len(subjects))], Content: documentBody,
	}
}

var (
	// procedures are codes of the national procedure database, as the
	// portal's dossiers carry them.
	procedures     = []string{"1.001193", "1.000656", "2.000986", "1.004227", "2.001263", "1.010737"}
	dossierStatuss = []string{"received", "processing", "processing", "completed", "completed", "completed"}
)

// dossier: a province's one-stop shop reports a dossier's status.
func (b builders) dossier(r *rand.Rand) proto.Message {
	p := vn.Provinces[r.IntN(len(vn.Provinces))]
	return &portalv1.SyncDossierRequest{
		DossierId:     fmt.Sprintf("%s-%s-%06d", p.AgencyCode, b.now().In(vn.Zone).Format("060102"), r.IntN(1_000_000)),
		ProcedureCode: procedures[r.IntN(len(procedures))], Status: dossierStatuss[r.IntN(len(dossierStatuss))],
	}
}

var reports = []string{"BC-DVC-01", "BC-TTHC-02", "BC-CDS-03"}

// report: last month's figures of a reporting agency.
func (b builders) report(r *rand.Rand) proto.Message {
	n := float64(1000 + r.IntN(100_000))
	return &reportingv1.SubmitReportRequest{
		ReportCode: reports[r.IntN(len(reports))], Period: vn.Month(b.now().AddDate(0, -1, 0)),
		Indicators: map[string]float64{"received": n, "on_time": float64(int(n * (0.9 + 0.1*r.Float64())))},
	}
}
