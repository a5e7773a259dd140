package topology

// Service codes of the built-in topologies. The request and response types
// are protobuf messages defined by each simulator's package
// (ndxp.<package>.v1).
const (
	// ServiceCitizenLookup finds a citizen by ID number (population).
	ServiceCitizenLookup = "citizen-lookup"
	// ServiceCitizenVerify checks a citizen's details (population).
	ServiceCitizenVerify = "citizen-verify"
	// ServicePIDIssue issues a personal ID number (population).
	ServicePIDIssue = "pid-issue"
	// ServicePIDCancel cancels a personal ID number (population).
	ServicePIDCancel = "pid-cancel"
	// ServiceResidenceRegister registers a permanent residence (population).
	ServiceResidenceRegister = "residence-register"
	// ServiceResidenceRemove removes a permanent residence (population).
	ServiceResidenceRemove = "residence-remove"
	// ServiceHouseholdMembers lists a household's members (population).
	ServiceHouseholdMembers = "household-members"

	// ServiceBirthRegister registers a birth (civil registry).
	ServiceBirthRegister = "birth-register"
	// ServiceMarriageRegister registers a marriage (civil registry).
	ServiceMarriageRegister = "marriage-register"
	// ServiceDeathRegister registers a death (civil registry).
	ServiceDeathRegister = "death-register"
	// ServiceRecordLookup finds a civil status record (civil registry).
	ServiceRecordLookup = "record-lookup"
	// ServiceRecordCancel withdraws a civil status record, undoing a
	// registration whose interlinked procedure failed (civil registry).
	ServiceRecordCancel = "record-cancel"

	// ServiceHouseholdVerify verifies a household (social insurance).
	ServiceHouseholdVerify = "household-verify"
	// ServiceChildCardIssue issues a child's health insurance card (social
	// insurance).
	ServiceChildCardIssue = "child-card-issue"
	// ServiceFuneralAllowance grants the funeral allowance (social
	// insurance).
	ServiceFuneralAllowance = "funeral-allowance"
	// ServiceCardLookup finds a health insurance card (social insurance).
	ServiceCardLookup = "card-lookup"

	// ServiceLandParcelLookup finds a parcel in a province's land records
	// (province LGSPs).
	ServiceLandParcelLookup = "land-parcel-lookup"
	// ServiceProcedureStatus reports a dossier's status (every LGSP).
	ServiceProcedureStatus = "procedure-status"
	// ServiceProcedureBirth runs the interlinked birth procedure (province
	// LGSPs).
	ServiceProcedureBirth = "procedure-birth"
	// ServiceProcedureDeath runs the interlinked death procedure (province
	// LGSPs).
	ServiceProcedureDeath = "procedure-death"
	// ServiceProcedureBirthEvents runs the birth procedure on life events
	// (province LGSPs).
	ServiceProcedureBirthEvents = "procedure-birth-events"

	// ServiceParcelLookup finds a parcel in the national land database.
	ServiceParcelLookup = "parcel-lookup"
	// ServiceEnterpriseLookup finds a registered enterprise.
	ServiceEnterpriseLookup = "enterprise-lookup"
	// ServiceOfficialLookup finds an official or civil servant.
	ServiceOfficialLookup = "official-lookup"
	// ServiceDocumentSend sends a document through the exchange axis.
	ServiceDocumentSend = "document-send"
	// ServiceDossierSync reports a dossier's status to the public service
	// portal.
	ServiceDossierSync = "dossier-sync"
	// ServiceReportSubmit submits a report to the national reporting
	// system.
	ServiceReportSubmit = "report-submit"
	// ServicePing answers a ping (generic nodes).
	ServicePing = "ping"
	// ServiceStatus reports a node's status (generic nodes).
	ServiceStatus = "status"
)

// svc builds a Service whose request and response types are
// <pkg>.<msg>Request and <pkg>.<msg>Response.
func svc(code, pkg, msg, desc string, personal bool) Service {
	return Service{
		Code:         code,
		Description:  desc,
		RequestType:  pkg + "." + msg + "Request",
		ResponseType: pkg + "." + msg + "Response",
		PersonalData: personal,
	}
}

// servicesOf returns a fresh copy of the services a simulator provides in
// the built-in topologies; ministry and province LGSPs differ.
func servicesOf(simulator string, province bool) []Service {
	switch simulator {
	case SimulatorPopulation:
		return populationServices()
	case SimulatorCivilRegistry:
		return civilRegistryServices()
	case SimulatorSocialInsurance:
		return socialInsuranceServices()
	case SimulatorLGSP:
		return lgspServices(province)
	case SimulatorLand:
		return []Service{svc(ServiceParcelLookup, "ndxp.land.v1", "LookupParcel", "Look up a land parcel in the national land database", false)}
	case SimulatorBusinessRegistration:
		return []Service{svc(ServiceEnterpriseLookup, "ndxp.business.v1", "LookupEnterprise", "Look up a registered enterprise by enterprise code", false)}
	case SimulatorOfficials:
		return []Service{svc(ServiceOfficialLookup, "ndxp.officials.v1", "LookupOfficial", "Look up an official or civil servant", true)}
	case SimulatorDocumentExchange:
		return []Service{svc(ServiceDocumentSend, "ndxp.document.v1", "SendDocument", "Send an official document to another agency (store and forward)", false)}
	case SimulatorPublicServicePortal:
		return []Service{svc(ServiceDossierSync, "ndxp.portal.v1", "SyncDossier", "Report the status of an administrative-procedure dossier to the portal", false)}
	case SimulatorReporting:
		return []Service{svc(ServiceReportSubmit, "ndxp.reporting.v1", "SubmitReport", "Submit a periodic report to the national reporting system", false)}
	default:
		return genericServices()
	}
}

func populationServices() []Service {
	const p = "ndxp.population.v1"
	return []Service{
		svc(ServiceCitizenLookup, p, "LookupCitizen", "Look up a citizen by personal identification number", true),
		svc(ServiceCitizenVerify, p, "VerifyCitizen", "Check a citizen's identity details against the population database", true),
		svc(ServicePIDIssue, p, "IssuePersonalId", "Issue a personal identification number on birth registration", false),
		svc(ServicePIDCancel, p, "CancelPersonalId", "Cancel a personal identification number on death registration", false),
		svc(ServiceResidenceRegister, p, "RegisterResidence", "Register a permanent residence", false),
		svc(ServiceResidenceRemove, p, "RemoveResidence", "Remove a permanent residence registration", false),
		svc(ServiceHouseholdMembers, p, "HouseholdMembers", "List the members of a citizen's household", true),
	}
}

func civilRegistryServices() []Service {
	const p = "ndxp.civilregistry.v1"
	return []Service{
		svc(ServiceBirthRegister, p, "RegisterBirth", "Register a birth", false),
		svc(ServiceMarriageRegister, p, "RegisterMarriage", "Register a marriage", false),
		svc(ServiceDeathRegister, p, "RegisterDeath", "Register a death", false),
		svc(ServiceRecordLookup, p, "LookupRecord", "Look up a civil status record", true),
		svc(ServiceRecordCancel, p, "CancelRecord", "Withdraw a civil status record (undo a registration)", false),
	}
}

func socialInsuranceServices() []Service {
	const p = "ndxp.insurance.v1"
	return []Service{
		svc(ServiceHouseholdVerify, p, "VerifyHousehold", "Verify a household's members for insurance", false),
		svc(ServiceChildCardIssue, p, "IssueChildCard", "Issue a health insurance card to a child under 6", false),
		svc(ServiceFuneralAllowance, p, "FuneralAllowance", "Grant the funeral allowance and survivor benefits", false),
		svc(ServiceCardLookup, p, "LookupCard", "Look up a health insurance card", true),
	}
}

func lgspServices(province bool) []Service {
	const p = "ndxp.lgsp.v1"
	status := svc(ServiceProcedureStatus, p, "ProcedureStatus", "Status of an administrative-procedure dossier", false)
	if !province {
		return []Service{status}
	}
	return []Service{
		svc(ServiceLandParcelLookup, p, "LookupParcel", "Look up a land parcel in the province's land records", false),
		status,
		svc(ServiceProcedureBirth, p, "BirthProcedure", "Interlinked procedure: birth registration, ID number, permanent residence, child's health insurance card", false),
		svc(ServiceProcedureDeath, p, "DeathProcedure", "Interlinked procedure: death registration, removal of permanent residence, funeral allowance, personal ID number cancelled", false),
		svc(ServiceProcedureBirthEvents, p, "BirthProcedure", "Interlinked birth procedure on life events: the birth registered, the agencies react (ID number, residence, card)", false),
	}
}

func genericServices() []Service {
	const p = "ndxp.generic.v1"
	return []Service{
		svc(ServicePing, p, "Ping", "Answer a ping", false),
		svc(ServiceStatus, p, "Status", "Report the system's status", false),
	}
}
