package registry

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Limits on registrations, so that one bad node cannot bloat the registry.
const (
	MaxNameLen     = 256
	MaxServices    = 256
	MaxDescription = 1024
	MaxTypeName    = 256
)

// Validate checks a registration and returns a *field.Error naming the
// first bad field ("agency.services[1].code").
func Validate(a *hubv1.Agency) error {
	if a == nil {
		return field.Errorf("agency", "is required")
	}
	if err := wire.ValidateAgencyCode(a.GetCode()); err != nil {
		return field.Wrap("agency.code", err)
	}
	if err := checkText(a.GetName(), MaxNameLen, true); err != nil {
		return field.Wrap("agency.name", err)
	}
	if _, ok := hubv1.AgencyKind_name[int32(a.GetKind())]; !ok || a.GetKind() == hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED {
		return field.Errorf("agency.kind", "must be one of MINISTRY_LGSP, PROVINCE_LGSP, NATIONAL_DATABASE, NATIONAL_SYSTEM, OTHER")
	}
	if len(a.GetServices()) > MaxServices {
		return field.Errorf("agency.services", "has %d services, at most %d allowed", len(a.GetServices()), MaxServices)
	}
	seen := make(map[string]bool, len(a.GetServices()))
	for i, s := range a.GetServices() {
		name := fmt.Sprintf("agency.services[%d]", i)
		if err := validateService(s); err != nil {
			return field.Wrap(name, err)
		}
		if seen[s.GetCode()] {
			return field.Errorf(name+".code", "duplicate service %q", s.GetCode())
		}
		seen[s.GetCode()] = true
	}
	return validateEvents(a)
}

// validateEvents checks the event types a declares (at most MaxServices).
func validateEvents(a *hubv1.Agency) error {
	if len(a.GetEvents()) > MaxServices {
		return field.Errorf("agency.events", "has %d event types, at most %d allowed", len(a.GetEvents()), MaxServices)
	}
	seen := make(map[string]bool, len(a.GetEvents()))
	for i, e := range a.GetEvents() {
		name := fmt.Sprintf("agency.events[%d]", i)
		if err := wire.ValidateServiceCode(e.GetCode()); err != nil {
			return field.Wrap(name+".code", err)
		}
		if seen[e.GetCode()] {
			return field.Errorf(name+".code", "duplicate event type %q", e.GetCode())
		}
		seen[e.GetCode()] = true
		if e.GetPublisher() != "" && e.GetPublisher() != a.GetCode() {
			return field.Errorf(name+".publisher", "is %s; an agency declares only the events it publishes itself (%s)", e.GetPublisher(), a.GetCode())
		}
		if err := checkText(e.GetDescription(), MaxDescription, false); err != nil {
			return field.Wrap(name+".description", err)
		}
		if t := e.GetPayloadType(); t == "" || len(t) > MaxTypeName || !protoreflect.FullName(t).IsValid() {
			return field.Errorf(name+".payload_type", "must be a fully-qualified protobuf message name such as ndxp.events.v1.BirthRegistered")
		}
	}
	return nil
}

func validateService(s *hubv1.Service) error {
	if err := wire.ValidateServiceCode(s.GetCode()); err != nil {
		return field.Wrap("code", err)
	}
	if s.GetCode() == wire.Unknown {
		return field.Errorf("code", "%q is reserved: records and metrics name unregistered services so", wire.Unknown)
	}
	if err := checkText(s.GetDescription(), MaxDescription, false); err != nil {
		return field.Wrap("description", err)
	}
	for name, t := range map[string]string{"request_type": s.GetRequestType(), "response_type": s.GetResponseType()} {
		if len(t) > MaxTypeName || (t != "" && !protoreflect.FullName(t).IsValid()) {
			return field.Errorf(name, "must be a fully-qualified protobuf message name such as ndxp.population.v1.LookupCitizenRequest")
		}
	}
	return nil
}

func checkText(s string, limit int, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return fmt.Errorf("is required")
	case len(s) > limit:
		return fmt.Errorf("is %d bytes long, at most %d allowed", len(s), limit)
	case !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError):
		// The hub's codec turns invalid UTF-8 into U+FFFD.
		return fmt.Errorf("is not valid UTF-8 (or holds U+FFFD)")
	}
	return nil
}
