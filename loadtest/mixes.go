package loadtest

import (
	t "github.com/ndxp/ndxp/adapters/topology"
)

// The mixes of the built-in profiles are derived from the reports
// (FACTS.md, seeds 000, 003, 004): a service whose volume the reports
// give is anchored at that many exchanges a day; the rest of the
// profile's average day goes to the other services in assumed
// proportions (restWeights). Weights are exchanges a day, so a service's
// share of the hub's transactions is its weight times its hops (a
// household-verify is 2: its nested household-members hop) over the sum.
// The README's load-testing section shows the table.

// Figures of the civil registry (000: 22 May 2023; 003: 20 Aug 2021).
const (
	birthsWithID2021 = 6_055_289  // children issued an ID number by 20 Aug 2021 (003)
	birthsWithID2023 = 8_696_362  // children issued an ID number by 22 May 2023 (000)
	birthsToBHXH2023 = 4_905_771  // birth records with an ID passed to social insurance by May 2023 (000)
	births2023       = 35_898_836 // birth registrations in the registry (000)
	marriages2023    = 8_810_207  // marriage registrations (000)
	deaths2023       = 5_441_461  // death registrations (000)
	daysAug21May23   = 640        // 20 Aug 2021 to 22 May 2023
)

// BirthsPerDay is the rate of births registered with an ID number:
// (8,696,362 - 6,055,289) / 640 days, the only rate the reports allow
// (an assumption for the years before and after).
const BirthsPerDay = float64(birthsWithID2023-birthsWithID2021) / daysAug21May23

// Per-day rates derived from BirthsPerDay with the registry's ratios.
var (
	// childCardsPerDay: the share of births with an ID passed to social
	// insurance (4,905,771 of 8,696,362) gets a child's health card.
	childCardsPerDay = BirthsPerDay * birthsToBHXH2023 / birthsWithID2023
	// marriagesPerDay and deathsPerDay: the registry's 8,810,207
	// marriages and 5,441,461 deaths to 35,898,836 births.
	marriagesPerDay = BirthsPerDay * marriages2023 / births2023
	deathsPerDay    = BirthsPerDay * deaths2023 / births2023
)

// HouseholdChecksPerDay: social insurance checked 8.1 million household
// members against the population database by Aug 2021 (003), taken as
// 1 Jan - 20 Aug 2021 (232 days; an assumption, as is the same rate in
// later years). Each check is a household-verify and its nested
// household-members hop.
const HouseholdChecksPerDay = 8_100_000.0 / 232

// Documents a day on the national document exchange axis (sent plus
// received, the axis's own count).
const (
	// DocumentsPerDay2021 is 486,881 in the month 19 Jul - 19 Aug 2021 (003).
	DocumentsPerDay2021 = 486_881.0 / 31
	// DocumentsPerDay2021YTD is 2.5 million in 1 Jan - 19 Aug 2021 (003).
	DocumentsPerDay2021YTD = 2_500_000.0 / 231
	// DocumentsPerDay2023 is 2.9 million in the first 5 months of 2023 (000).
	DocumentsPerDay2023 = 2_900_000.0 / 151
	// DocumentsPerDay2022 is the mean of 2021's month and 2023 (an
	// assumption: no figure is published for 2022).
	DocumentsPerDay2022 = (DocumentsPerDay2021 + DocumentsPerDay2023) / 2
)

// restWeights share what the anchored services leave among the others:
// population lookups and verifications dominate (the population database
// is the platform's main provider from July 2021, 000); then land,
// business, officials, the portal's dossier status and reporting. These
// proportions are assumptions: the reports give no per-service figure.
var restWeights = []MixEntry{
	{ref(t.PopulationCode, t.ServiceCitizenLookup), 34},
	{ref(t.PopulationCode, t.ServiceCitizenVerify), 26},
	{ref(t.PopulationCode, t.ServiceHouseholdMembers), 5},
	{ref(t.LandCode, t.ServiceParcelLookup), 3},
	{ref(t.BusinessRegistrationCode, t.ServiceEnterpriseLookup), 2},
	{ref(t.OfficialsCode, t.ServiceOfficialLookup), 1},
	{ref(t.PublicServicePortalCode, t.ServiceDossierSync), 3},
	{ref(t.ReportingCode, t.ServiceReportSubmit), 1},
}

// anchoredMix is the mix of a profile averaging perDay transactions a
// day whose document exchange is docsPerDay.
func anchoredMix(perDay, docsPerDay float64) []MixEntry {
	mix := []MixEntry{
		// The birth procedure (interlinked, 004): registration, ID number,
		// permanent residence (an assumption: every birth), child's card.
		{ref(t.CivilRegistryCode, t.ServiceBirthRegister), BirthsPerDay},
		{ref(t.PopulationCode, t.ServicePIDIssue), BirthsPerDay},
		{ref(t.PopulationCode, t.ServiceResidenceRegister), BirthsPerDay},
		{ref(t.SocialInsuranceCode, t.ServiceChildCardIssue), childCardsPerDay},
		{ref(t.CivilRegistryCode, t.ServiceMarriageRegister), marriagesPerDay},
		// The death procedure: registration, ID cancelled (003), residence
		// removed and funeral allowance (assumptions: every death).
		{ref(t.CivilRegistryCode, t.ServiceDeathRegister), deathsPerDay},
		{ref(t.PopulationCode, t.ServicePIDCancel), deathsPerDay},
		{ref(t.PopulationCode, t.ServiceResidenceRemove), deathsPerDay},
		{ref(t.SocialInsuranceCode, t.ServiceFuneralAllowance), deathsPerDay},
		{ref(t.SocialInsuranceCode, t.ServiceHouseholdVerify), HouseholdChecksPerDay},
		{ref(t.DocumentExchangeCode, t.ServiceDocumentSend), docsPerDay},
	}
	left := perDay
	for _, m := range mix {
		left -= m.Weight * float64(hopsOf(m.Service))
	}
	sum := 0.0
	for _, r := range restWeights {
		sum += r.Weight
	}
	for _, r := range restWeights {
		mix = append(mix, MixEntry{r.Service, left * r.Weight / sum})
	}
	return mix
}
