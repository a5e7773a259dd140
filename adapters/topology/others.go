package topology

import (
	"fmt"

	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Codes of the population database's consumers outside the state bodies
// (report 000: "01 doanh nghiệp nhà nước (EVN), 3 doanh nghiệp viễn
// thông"). K and the numbers are this simulator's own assignment: the
// reports give no codes.
const (
	// EVNCode is Vietnam Electricity (Tập đoàn Điện lực Việt Nam).
	EVNCode = "000.00.00.K01"
	// ViettelCode, VNPTCode and MobiFoneCode are the three telecom operators.
	ViettelCode  = "000.00.00.K02"
	VNPTCode     = "000.00.00.K03"
	MobiFoneCode = "000.00.00.K04"
)

// enterprises are the population database's consumers outside the state
// bodies, connected in the 2023 shape: they verify their customers'
// identity (electricity contracts, SIM subscribers) against it.
var enterprises = []node{
	{EVNCode, "Tập đoàn Điện lực Việt Nam (EVN)", hubv1.AgencyKind_AGENCY_KIND_OTHER, SimulatorGeneric, 2023},
	{ViettelCode, "Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel)", hubv1.AgencyKind_AGENCY_KIND_OTHER, SimulatorGeneric, 2023},
	{VNPTCode, "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)", hubv1.AgencyKind_AGENCY_KIND_OTHER, SimulatorGeneric, 2023},
	{MobiFoneCode, "Tổng công ty Viễn thông MobiFone", hubv1.AgencyKind_AGENCY_KIND_OTHER, SimulatorGeneric, 2023},
}

func isEnterprise(code string) bool {
	for _, e := range enterprises {
		if e.code == code {
			return true
		}
	}
	return false
}

// Published2021 is what report 003 says was connected in August 2021:
// "220 hệ thống thông tin của 90 cơ quan, đơn vị; trong đó có 85 LGSP, 05
// cơ sở dữ liệu và 09 hệ thống thông tin" quy mô quốc gia.
const (
	Published2021Systems  = 220
	Published2021Agencies = 90
)

// otherSystemOwners are the bodies outside the 22 ministries, 63 provinces
// and Vietnam Social Security whose systems make up the 90 agencies of
// 2021; placeholders (the report names none), codes this simulator's own.
var otherSystemOwners = []Ministry{
	{"000.00.00.G24", "Kiểm toán Nhà nước"},
	{"000.00.00.G25", "Tòa án nhân dân tối cao"},
	{"000.00.00.G26", "Viện kiểm sát nhân dân tối cao"},
	{"000.00.00.G27", "Thông tấn xã Việt Nam"},
}

// agencySystems are the information systems of the ministries, provinces
// and other bodies that the 2021 report counts beside the LGSPs and the
// national databases and systems, as generic nodes (ping and status):
// each LGSP owner's one-stop-shop or document system, then one more for
// the first owners and one for each other body, up to 220 systems of 90
// agencies. Their names and codes (000.00.90.* to 000.00.92.*, level-2
// units of their owner) are placeholders.
func agencySystems(t *Topology) []Agency {
	n := Published2021Systems - len(t.Agencies)
	var out []Agency
	add := func(owner Ministry, unit int, name string) {
		if len(out) < n {
			code := fmt.Sprintf("000.00.%02d.%s", unit, owner.Code[len("000.00.00."):])
			out = append(out, Agency{Code: code, Name: name + " - " + owner.Name, Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER,
				Simulator: SimulatorGeneric, Provides: genericServices()})
		}
	}
	for _, o := range otherSystemOwners {
		add(o, 90, "Hệ thống thông tin chuyên ngành")
	}
	for _, m := range Ministries {
		add(m, 90, "Hệ thống quản lý văn bản và điều hành")
	}
	for _, p := range vn.Provinces {
		add(Ministry{p.AgencyCode, p.Name}, 90, "Hệ thống thông tin một cửa điện tử")
	}
	for _, m := range Ministries {
		add(m, 91, "Hệ thống thông tin chuyên ngành")
	}
	for _, p := range vn.Provinces {
		add(Ministry{p.AgencyCode, p.Name}, 91, "Hệ thống thông tin chuyên ngành")
	}
	return out
}

// Owners is how many distinct bodies own t's nodes: an LGSP's owner is its
// own code; a level-2 unit 000.00.NN.Xxx belongs to 000.00.00.Xxx.
func (t *Topology) Owners() int {
	seen := map[string]bool{}
	for _, a := range t.Agencies {
		if len(a.Code) == len("000.00.00.H29") {
			seen[a.Code[len("000.00.00."):]] = true
		}
	}
	return len(seen)
}
