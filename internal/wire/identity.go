package wire

// URIs that name identities in certificates' subject alternative names
// (the hub's auth maps them to callers, internal/pki issues them, the
// embedded NATS maps them to users). An agency's certificate carries
// AgencyURIPrefix followed by its agency code; the operator's and the
// hub's carry OperatorURI and HubURI.
const (
	AgencyURIPrefix = "urn:ndxp:agency:"
	OperatorURI     = "urn:ndxp:operator"
	HubURI          = "urn:ndxp:hub"
)

// AgencyURI is the URI SAN of an agency's certificate.
func AgencyURI(code string) string { return AgencyURIPrefix + code }
