package topology

import hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"

// Codes of the national database and system nodes other packages address
// directly. Each is a level-2 unit (000.00.NN.Gxx) of its owner; see the
// package comment.
const (
	// PopulationCode is the national population database (Bộ Công an).
	PopulationCode = "000.00.01.G01"
	// CivilRegistryCode is the electronic civil registry database (Bộ Tư
	// pháp).
	CivilRegistryCode = "000.00.01.G02"
	// SocialInsuranceCode is the national insurance database (Bảo hiểm xã
	// hội Việt Nam).
	SocialInsuranceCode = "000.00.01.G23"
	// BusinessRegistrationCode is the national business registration
	// database (Bộ Kế hoạch và Đầu tư).
	BusinessRegistrationCode = "000.00.01.G04"
	// LandCode is the national land database (Bộ Tài nguyên và Môi trường).
	LandCode = "000.00.01.G05"
	// OfficialsCode is the national database of officials and civil
	// servants (Bộ Nội vụ); connected in the 2023 shape only.
	OfficialsCode = "000.00.01.G09"
	// PublicServicePortalCode is the national public service portal (Văn
	// phòng Chính phủ).
	PublicServicePortalCode = "000.00.01.G22"
	// DocumentExchangeCode is the national document exchange axis (Văn
	// phòng Chính phủ).
	DocumentExchangeCode = "000.00.02.G22"
	// ReportingCode is the national reporting information system (Văn
	// phòng Chính phủ).
	ReportingCode = "000.00.03.G22"
)

// node is a national database or system of the built-in topologies.
type node struct {
	code, name string
	kind       hubv1.AgencyKind
	simulator  string
	since      int // first built-in shape (year) it is connected in
}

const (
	db  = hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE
	sys = hubv1.AgencyKind_AGENCY_KIND_NATIONAL_SYSTEM
)

// databases are the national databases: five connected by 2021, nine by
// 2023. The reports name six (population, civil registry, insurance, land,
// business registration, officials); the last three are placeholders that
// fill the 2023 count with national databases planned at the time.
var databases = []node{
	{PopulationCode, "Cơ sở dữ liệu quốc gia về dân cư", db, SimulatorPopulation, 2021},
	{CivilRegistryCode, "Cơ sở dữ liệu hộ tịch điện tử", db, SimulatorCivilRegistry, 2021},
	{SocialInsuranceCode, "Cơ sở dữ liệu quốc gia về bảo hiểm", db, SimulatorSocialInsurance, 2021},
	{BusinessRegistrationCode, "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp", db, SimulatorBusinessRegistration, 2021},
	{LandCode, "Cơ sở dữ liệu quốc gia về đất đai", db, SimulatorLand, 2021},
	{OfficialsCode, "Cơ sở dữ liệu quốc gia về cán bộ, công chức, viên chức", db, SimulatorOfficials, 2023},
	// Placeholders.
	{"000.00.01.G03", "Cơ sở dữ liệu quốc gia về tài chính", db, SimulatorGeneric, 2023},
	{"000.00.01.G06", "Cơ sở dữ liệu quốc gia về y tế", db, SimulatorGeneric, 2023},
	{"000.00.01.G07", "Cơ sở dữ liệu quốc gia về giáo dục và đào tạo", db, SimulatorGeneric, 2023},
}

// systems are the national information systems: nine connected by 2021,
// thirteen by 2023. The reports give only the counts (and name the document
// exchange axis); the first five are the well-known national systems, the
// rest are placeholders chosen to fill the counts.
var systems = []node{
	{PublicServicePortalCode, "Cổng Dịch vụ công quốc gia", sys, SimulatorPublicServicePortal, 2021},
	{DocumentExchangeCode, "Trục liên thông văn bản quốc gia", sys, SimulatorDocumentExchange, 2021},
	{ReportingCode, "Hệ thống thông tin báo cáo quốc gia", sys, SimulatorReporting, 2021},
	{"000.00.04.G22", "Hệ thống thông tin phục vụ họp và xử lý công việc của Chính phủ (e-Cabinet)", sys, SimulatorGeneric, 2021},
	{"000.00.02.G04", "Hệ thống mạng đấu thầu quốc gia", sys, SimulatorGeneric, 2021},
	// Placeholders.
	{"000.00.02.G03", "Cổng thông tin một cửa quốc gia", sys, SimulatorGeneric, 2021},
	{"000.00.03.G03", "Hệ thống thông tin quản lý ngân sách và kho bạc (TABMIS)", sys, SimulatorGeneric, 2021},
	{"000.00.02.G23", "Hệ thống thông tin giám định bảo hiểm y tế", sys, SimulatorGeneric, 2021},
	{"000.00.01.G11", "Hệ thống thông tin quản lý giấy phép lái xe", sys, SimulatorGeneric, 2021},
	{"000.00.02.G01", "Hệ thống định danh và xác thực điện tử", sys, SimulatorGeneric, 2023},
	{"000.00.02.G02", "Hệ thống thông tin lý lịch tư pháp", sys, SimulatorGeneric, 2023},
	{"000.00.02.G07", "Hệ thống thông tin quản lý văn bằng, chứng chỉ", sys, SimulatorGeneric, 2023},
	{"000.00.02.G11", "Hệ thống thông tin đăng kiểm phương tiện giao thông", sys, SimulatorGeneric, 2023},
}
