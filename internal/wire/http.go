package wire

// Headers of the HTTP side: the hub's REST ingress (hub/restapi) and the
// requests an agency's HTTP backend receives (adapters/httpbackend).
// Consumer, purpose, user id, business time and deadline share their
// names with the NATS headers above.
const (
	// HTTPHeaderMessageID is the transaction's message id, on requests
	// (optional for an exchange, required for a send) and on answers.
	HTTPHeaderMessageID = "Ndxp-Message-Id"
	// HTTPHeaderBusinessDay is the business day (YYYY-MM-DD, Vietnam time)
	// an exchange was counted on, on answers.
	HTTPHeaderBusinessDay = "Ndxp-Business-Day"
	// HTTPHeaderTimeout bounds an exchange made over REST, as a Go
	// duration ("5s", "1500ms"); capped by the hub's maximum.
	HTTPHeaderTimeout = "Ndxp-Timeout"
	// HTTPHeaderResponseType is the fully-qualified protobuf type of an
	// answer's body.
	HTTPHeaderResponseType = "Ndxp-Response-Type"
)
