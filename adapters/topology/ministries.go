package topology

// Ministry is a central body: one of the 22 ministries and ministry-level
// agencies that run an LGSP, or an owner of national systems outside them.
type Ministry struct {
	// Code is the body's electronic agency code, 000.00.00.Gxx.
	Code string
	// Name is its official Vietnamese name.
	Name string
}

// Ministries lists the 22 ministries and ministry-level agencies, each of
// which connects an LGSP to the hub (22/22 by December 2020). The numbers
// after G are this simulator's own assignment. Callers must not modify it.
var Ministries = []Ministry{
	{MinistryPublicSecurity, "Bộ Công an"},
	{MinistryJustice, "Bộ Tư pháp"},
	{MinistryFinance, "Bộ Tài chính"},
	{MinistryPlanningInvestment, "Bộ Kế hoạch và Đầu tư"},
	{MinistryNaturalResources, "Bộ Tài nguyên và Môi trường"},
	{MinistryHealth, "Bộ Y tế"},
	{MinistryEducation, "Bộ Giáo dục và Đào tạo"},
	{"000.00.00.G08", "Bộ Lao động - Thương binh và Xã hội"},
	{MinistryHomeAffairs, "Bộ Nội vụ"},
	{"000.00.00.G10", "Bộ Thông tin và Truyền thông"},
	{MinistryTransport, "Bộ Giao thông vận tải"},
	{"000.00.00.G12", "Bộ Xây dựng"},
	{"000.00.00.G13", "Bộ Công Thương"},
	{"000.00.00.G14", "Bộ Nông nghiệp và Phát triển nông thôn"},
	{"000.00.00.G15", "Bộ Ngoại giao"},
	{"000.00.00.G16", "Bộ Quốc phòng"},
	{"000.00.00.G17", "Bộ Khoa học và Công nghệ"},
	{"000.00.00.G18", "Bộ Văn hoá, Thể thao và Du lịch"},
	{"000.00.00.G19", "Ủy ban Dân tộc"},
	{"000.00.00.G20", "Ngân hàng Nhà nước Việt Nam"},
	{"000.00.00.G21", "Thanh tra Chính phủ"},
	{GovernmentOffice, "Văn phòng Chính phủ"},
}

// SystemOwners lists central bodies that own national databases or systems
// connected to the hub but are not among the 22 Ministries and have no
// LGSP node. Callers must not modify it.
var SystemOwners = []Ministry{
	{SocialSecurity, "Bảo hiểm xã hội Việt Nam"},
}

// Codes of the central bodies that own the national databases and systems
// of the built-in topologies.
const (
	// MinistryPublicSecurity is Bộ Công an (population database).
	MinistryPublicSecurity = "000.00.00.G01"
	// MinistryJustice is Bộ Tư pháp (civil registry).
	MinistryJustice = "000.00.00.G02"
	// MinistryFinance is Bộ Tài chính.
	MinistryFinance = "000.00.00.G03"
	// MinistryPlanningInvestment is Bộ Kế hoạch và Đầu tư (business
	// registration, e-procurement).
	MinistryPlanningInvestment = "000.00.00.G04"
	// MinistryNaturalResources is Bộ Tài nguyên và Môi trường (land).
	MinistryNaturalResources = "000.00.00.G05"
	// MinistryHealth is Bộ Y tế.
	MinistryHealth = "000.00.00.G06"
	// MinistryEducation is Bộ Giáo dục và Đào tạo.
	MinistryEducation = "000.00.00.G07"
	// MinistryHomeAffairs is Bộ Nội vụ (officials and civil servants).
	MinistryHomeAffairs = "000.00.00.G09"
	// MinistryTransport is Bộ Giao thông vận tải.
	MinistryTransport = "000.00.00.G11"
	// GovernmentOffice is Văn phòng Chính phủ (public service portal,
	// document exchange axis, reporting system, e-Cabinet).
	GovernmentOffice = "000.00.00.G22"
	// SocialSecurity is Bảo hiểm xã hội Việt Nam (Vietnam Social Security),
	// a government agency outside the 22 Ministries.
	SocialSecurity = "000.00.00.G23"
)
