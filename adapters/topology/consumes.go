package topology

import hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"

// consumes returns what a built-in node calls, following the flows in the
// reports: LGSPs look citizens up and run the interlinked birth and death
// procedures (birth -> residence -> child's card; death -> residence
// removal -> funeral allowance); the civil registry issues and cancels ID
// numbers; social insurance verifies households against the population
// database; the portal follows every LGSP's dossiers.
func consumes(t *Topology, a *Agency) []ServiceRef {
	switch {
	case a.Simulator == SimulatorLGSP:
		return lgspConsumes(a.Kind == hubv1.AgencyKind_AGENCY_KIND_PROVINCE_LGSP)
	case a.Code == CivilRegistryCode:
		return refs(PopulationCode, ServicePIDIssue, ServicePIDCancel, ServiceCitizenLookup)
	case a.Code == SocialInsuranceCode:
		return append(refs(PopulationCode, ServiceHouseholdMembers, ServiceCitizenVerify),
			Ref(CivilRegistryCode, ServiceRecordLookup))
	case a.Code == LandCode, a.Code == BusinessRegistrationCode, a.Code == OfficialsCode:
		return refs(PopulationCode, ServiceCitizenVerify)
	case isEnterprise(a.Code):
		// EVN and the telecom operators verify their customers (000).
		return refs(PopulationCode, ServiceCitizenVerify)
	case a.Code == PublicServicePortalCode:
		return append(refs(PopulationCode, ServiceCitizenVerify), procedureStatuses(t)...)
	}
	return nil
}

// lgspConsumes: every LGSP uses the lookups of the three core databases
// and the national systems; a province also runs the interlinked
// procedures, which are provincial.
func lgspConsumes(province bool) []ServiceRef {
	pop := []string{ServiceCitizenLookup, ServiceCitizenVerify, ServiceHouseholdMembers}
	civ := []string{ServiceRecordLookup}
	ins := []string{ServiceCardLookup, ServiceHouseholdVerify}
	if province {
		pop = append(pop, ServiceResidenceRegister, ServiceResidenceRemove)
		pop = append(pop, ServicePIDIssue, ServicePIDCancel)
		civ = append(civ, ServiceBirthRegister, ServiceMarriageRegister, ServiceDeathRegister, ServiceRecordCancel)
		ins = append(ins, ServiceChildCardIssue, ServiceFuneralAllowance)
	}
	out := refs(PopulationCode, pop...)
	out = append(out, refs(CivilRegistryCode, civ...)...)
	out = append(out, refs(SocialInsuranceCode, ins...)...)
	return append(out,
		Ref(LandCode, ServiceParcelLookup),
		Ref(BusinessRegistrationCode, ServiceEnterpriseLookup),
		Ref(OfficialsCode, ServiceOfficialLookup),
		Ref(DocumentExchangeCode, ServiceDocumentSend),
		Ref(PublicServicePortalCode, ServiceDossierSync),
		Ref(ReportingCode, ServiceReportSubmit),
	)
}

// procedureStatuses refers to procedure-status of every LGSP of t.
func procedureStatuses(t *Topology) []ServiceRef {
	var out []ServiceRef
	for _, a := range t.Agencies {
		if a.Simulator == SimulatorLGSP {
			out = append(out, Ref(a.Code, ServiceProcedureStatus))
		}
	}
	return out
}

func refs(provider string, services ...string) []ServiceRef {
	out := make([]ServiceRef, len(services))
	for i, s := range services {
		out[i] = Ref(provider, s)
	}
	return out
}
