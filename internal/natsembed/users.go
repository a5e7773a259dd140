package natsembed

import (
	"crypto/tls"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ndxp/ndxp/internal/wire"
)

// ResponseTTL is how long an agency node may answer a request it received.
const ResponseTTL = 2 * time.Minute

// secure turns on TLS with certificate-to-user mapping.
func secure(opts *server.Options, cfg Config) {
	t := cfg.TLS.Clone()
	t.ClientAuth = tls.RequireAndVerifyClientCert
	opts.TLSConfig = t
	opts.TLS = true
	opts.TLSVerify = true
	opts.TLSMap = true
	opts.TLSTimeout = 5
	opts.Users = cfg.Users
}

// HubUser is a user with every permission: the hub (it routes requests to
// every provider and owns the JetStream streams and buckets) and the
// operator. name is the certificate's URI SAN.
func HubUser(name string) *server.User {
	return &server.User{Username: name}
}

// AgencyUser is an agency node's user, named by its certificate's URI SAN:
// it may subscribe only to its own service subjects (ndxp.svc.<token>.>)
// and to the nats.go micro discovery subjects of its own service name, and
// may publish nothing but answers to the requests it received
// (allow_responses). So a node cannot read another agency's requests,
// cannot send into another agency's subjects, and cannot reach JetStream:
// only the hub sends to providers.
func AgencyUser(name, code string) (*server.User, error) {
	own, err := wire.AgencySubjects(code)
	if err != nil {
		return nil, err
	}
	svc := wire.ServiceName(code)
	return &server.User{
		Username: name,
		Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Deny: []string{">"}},
			Subscribe: &server.SubjectPermission{
				Allow: []string{own, "$SRV.*", "$SRV.*." + svc, "$SRV.*." + svc + ".*"},
			},
			Response: &server.ResponsePermission{MaxMsgs: 1, Expires: ResponseTTL},
		},
	}, nil
}
