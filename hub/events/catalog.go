package events

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// Publishers of the built-in event types (the agency codes of the built-in
// topologies).
const (
	CivilRegistry = "000.00.01.G02"
	Population    = "000.00.01.G01"
	Insurance     = "000.00.01.G23"
)

// Built-in event type codes.
const (
	TypeBirthRegistered  = "birth-registered"
	TypeDeathRegistered  = "death-registered"
	TypePIDIssued        = "pid-issued"
	TypePIDCancelled     = "pid-cancelled"
	TypeResidenceChanged = "residence-changed"
	TypeChildCardIssued  = "child-card-issued"
)

// Type is a declared event type: its code, its one publisher and the
// protobuf message of its payload.
type Type struct {
	Code        string
	Publisher   string
	Description string
	// Payload is the payload's message (built-in types); PayloadName its
	// full name when it is not linked in (types an agency declares).
	Payload     proto.Message
	PayloadName string
}

// PayloadType is the full name of the payload's message.
func (t Type) PayloadType() string {
	if t.PayloadName != "" {
		return t.PayloadName
	}
	return string(t.Payload.ProtoReflect().Descriptor().FullName())
}

// declared is the Type of an agency's declaration.
func declared(publisher string, e *hubv1.EventType) Type {
	return Type{Code: e.GetCode(), Publisher: publisher, Description: e.GetDescription(), PayloadName: e.GetPayloadType()}
}

// Proto is t as the API lists it.
func (t Type) Proto() *hubv1.EventType {
	return &hubv1.EventType{Code: t.Code, Publisher: t.Publisher, Description: t.Description, PayloadType: t.PayloadType()}
}

// DefaultTypes are the life events of the interlinked procedures (Decree
// 63/2024/NĐ-CP): the civil registry's registrations, the population
// database's numbers and residences, social insurance's child cards.
func DefaultTypes() []Type {
	return []Type{
		{TypeBirthRegistered, CivilRegistry, "The civil registry registered a birth.", &eventsv1.BirthRegistered{}, ""},
		{TypeDeathRegistered, CivilRegistry, "The civil registry registered a death.", &eventsv1.DeathRegistered{}, ""},
		{TypePIDIssued, Population, "The population database issued a personal ID number.", &eventsv1.PersonalIdIssued{}, ""},
		{TypePIDCancelled, Population, "The population database cancelled a personal ID number.", &eventsv1.PersonalIdCancelled{}, ""},
		{TypeResidenceChanged, Population, "A permanent residence was registered or removed.", &eventsv1.ResidenceChanged{}, ""},
		{TypeChildCardIssued, Insurance, "Social insurance issued a child's health insurance card.", &eventsv1.ChildCardIssued{}, ""},
	}
}

// catalog finds declared types by code.
type catalog map[string]Type

func newCatalog(types []Type) catalog {
	c := catalog{}
	for _, t := range types {
		c[t.Code] = t
	}
	return c
}

// list returns the types sorted by code.
func (c catalog) list() []*hubv1.EventType {
	out := make([]*hubv1.EventType, 0, len(c))
	for _, t := range c {
		out = append(out, t.Proto())
	}
	slices.SortFunc(out, func(a, b *hubv1.EventType) int { return strings.Compare(a.GetCode(), b.GetCode()) })
	return out
}

// Declarations are the built-in types publisher publishes, as its
// registration declares them (hubv1.Agency.Events).
func Declarations(publisher string) []*hubv1.EventType {
	var out []*hubv1.EventType
	for _, t := range DefaultTypes() {
		if t.Publisher == publisher {
			e := t.Proto()
			e.Publisher = ""
			out = append(out, e)
		}
	}
	return out
}
