package hubtest

import (
	"github.com/ndxp/ndxp/adapters/node"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// FuncAgency is a test agency whose services are plain functions.
type FuncAgency struct {
	// Code is the agency code.
	Code string
	// Handlers serve the services, by service code.
	Handlers map[string]node.Handler
}

// Agency implements node.Service.
func (f *FuncAgency) Agency() *hubv1.Agency {
	return &hubv1.Agency{Code: f.Code, Name: "test agency " + f.Code, Kind: hubv1.AgencyKind_AGENCY_KIND_OTHER}
}

// Install implements node.Service.
func (f *FuncAgency) Install(n *node.Node) {
	for code, h := range f.Handlers {
		n.Handle(&hubv1.Service{Code: code}, h)
	}
}

// Group runs services as one platform.Agency (one node per service).
func Group(services ...node.Service) *node.Group {
	return &node.Group{Services: services}
}
