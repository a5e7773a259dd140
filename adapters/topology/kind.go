package topology

import (
	"fmt"
	"slices"
	"strings"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// kindNames are the names kinds have in topology files.
var kindNames = []struct {
	kind hubv1.AgencyKind
	name string
}{
	{hubv1.AgencyKind_AGENCY_KIND_MINISTRY_LGSP, "ministry-lgsp"},
	{hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP, "province-lgsp"},
	{hubv1.AgencyKind_AGENCY_KIND_NATIONAL_DATABASE, "national-database"},
	{hubv1.AgencyKind_AGENCY_KIND_NATIONAL_SYSTEM, "national-system"},
	{hubv1.AgencyKind_AGENCY_KIND_OTHER, "other"},
}

// KindNames lists the kind names used in topology files.
func KindNames() []string {
	out := make([]string, len(kindNames))
	for i, k := range kindNames {
		out[i] = k.name
	}
	return out
}

// KindName returns the file name of a kind ("province-lgsp"), or "" if the
// kind is unspecified or unknown.
func KindName(k hubv1.AgencyKind) string {
	for _, kn := range kindNames {
		if kn.kind == k {
			return kn.name
		}
	}
	return ""
}

// ParseKind returns the kind a file name stands for; the error wraps
// ErrUnknownKind.
func ParseKind(name string) (hubv1.AgencyKind, error) {
	for _, kn := range kindNames {
		if kn.name == name {
			return kn.kind, nil
		}
	}
	return hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED,
		fmt.Errorf("%w %q: want one of %s", ErrUnknownKind, name, strings.Join(KindNames(), ", "))
}

// Simulators implementing agency nodes; Agency.Simulator is one of these.
const (
	// SimulatorPopulation is the population database.
	SimulatorPopulation = "population"
	// SimulatorCivilRegistry is the civil registry ("hộ tịch") database.
	SimulatorCivilRegistry = "civil-registry"
	// SimulatorSocialInsurance is Vietnam Social Security's database.
	SimulatorSocialInsurance = "social-insurance"
	// SimulatorLGSP is a ministry or province integration platform.
	SimulatorLGSP = "lgsp"
	// SimulatorLand is the land database.
	SimulatorLand = "land"
	// SimulatorBusinessRegistration is the business registration database.
	SimulatorBusinessRegistration = "business-registration"
	// SimulatorOfficials is the officials and civil servants database.
	SimulatorOfficials = "officials"
	// SimulatorDocumentExchange is the national document exchange axis.
	SimulatorDocumentExchange = "document-exchange"
	// SimulatorPublicServicePortal is the national public service portal.
	SimulatorPublicServicePortal = "public-service-portal"
	// SimulatorReporting is the national reporting information system.
	SimulatorReporting = "reporting"
	// SimulatorGeneric answers ping and status only; it stands in for
	// systems the simulator does not model.
	SimulatorGeneric = "generic"
)

var simulators = []string{
	SimulatorPopulation, SimulatorCivilRegistry, SimulatorSocialInsurance,
	SimulatorLGSP, SimulatorLand, SimulatorBusinessRegistration,
	SimulatorOfficials, SimulatorDocumentExchange,
	SimulatorPublicServicePortal, SimulatorReporting, SimulatorGeneric,
}

// Simulators lists the known simulator names.
func Simulators() []string { return slices.Clone(simulators) }
