package wire

import (
	"fmt"

	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Limits on registrations, so that one bad node cannot bloat the registry.
// The contract states them (buf.validate annotations of Agency and Service
// in registry.proto); TestLimitsAreTheContracts keeps these in step.
const (
	MaxNameLen     = 256
	MaxServices    = 256
	MaxDescription = 1024
	MaxTypeName    = 256
)

// ValidateAgency checks a registration against the rules annotated in
// registry.proto and returns field.Errors naming every bad field
// ("agency.services[1].code"); a service code given twice is named too.
func ValidateAgency(a *hubv1.Agency) error {
	if a == nil {
		return field.Errorf("agency", "is required")
	}
	if err := field.Check(a); err != nil {
		return field.Wrap("agency", err)
	}
	seen := make(map[string]bool, len(a.GetServices()))
	for i, s := range a.GetServices() {
		if seen[s.GetCode()] {
			return field.Errorf(fmt.Sprintf("agency.services[%d].code", i), "duplicate service %q", s.GetCode())
		}
		seen[s.GetCode()] = true
	}
	return validateEvents(a)
}

// validateEvents checks what the contract's rules cannot: each event
// type declared once, and published by the agency declaring it.
func validateEvents(a *hubv1.Agency) error {
	seen := make(map[string]bool, len(a.GetEvents()))
	for i, e := range a.GetEvents() {
		name := fmt.Sprintf("agency.events[%d]", i)
		if seen[e.GetCode()] {
			return field.Errorf(name+".code", "duplicate event type %q", e.GetCode())
		}
		seen[e.GetCode()] = true
		if e.GetPublisher() != "" && e.GetPublisher() != a.GetCode() {
			return field.Errorf(name+".publisher", "is %s; an agency declares only the events it publishes itself (%s)", e.GetPublisher(), a.GetCode())
		}
	}
	return nil
}
