package natsembed

import (
	"crypto/tls"
	"slices"
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
	opts.TLSTimeout = tlsTimeout
	opts.Users = cfg.Users
	for _, u := range cfg.InProcess {
		opts.Nkeys = append(opts.Nkeys, u.user)
	}
}

// broadcastDiscovery are nats.go micro's name-less discovery subjects
// ($SRV.PING, $SRV.INFO, $SRV.STATS: `nats micro ls`). Every micro service
// subscribes to them and any agency may answer them, with an INFO naming
// another agency's service; nothing in a reply tells the asker who sent
// it. So no one may send them: discovery asks by service name
// ($SRV.INFO.ndxp-<agency token>), which only that agency's nodes receive.
var broadcastDiscovery = []string{"$SRV.PING", "$SRV.INFO", "$SRV.STATS"}

// HubUser is a user with every permission but sending the broadcast
// discovery requests: the hub (it routes requests to every provider and
// owns the JetStream streams and buckets) and the operator. name is the
// certificate's URI SAN.
func HubUser(name string) *server.User {
	return &server.User{Username: name, Permissions: &server.Permissions{
		Publish: &server.SubjectPermission{Deny: broadcastDiscovery},
	}}
}

// Evidence names what holds the platform's evidence: the subjects only
// hubs may publish to (transaction records, audit blocks, the audit
// writer's lease) and the streams only hubs may change.
type Evidence struct {
	Subjects []string
	Streams  []string
}

// OperatorUser is the operator's user: a hub's rights (it manages the
// platform, reads every stream and bucket) except over the evidence: it
// may not publish a transaction record, an audit block or the audit
// writer's lease, nor delete, purge, update, re-create or restore the
// streams that hold them, nor delete a message from them. So the
// operator's NATS credentials alone can neither forge a transaction nor
// switch the audit off or rewrite it (the signatures make a rewrite by a
// hub's credentials visible too).
func OperatorUser(name string, ev Evidence) *server.User {
	deny := append(slices.Clone(broadcastDiscovery), ev.Subjects...)
	for _, s := range ev.Streams {
		for _, op := range []string{"DELETE", "PURGE", "UPDATE", "CREATE", "RESTORE", "MSG.DELETE"} {
			deny = append(deny, "$JS.API.STREAM."+op+"."+s)
		}
	}
	return &server.User{Username: name, Permissions: &server.Permissions{
		Publish: &server.SubjectPermission{Deny: deny},
	}}
}

// AgencyUser is an agency node's user, named by its certificate's URI SAN:
// it may subscribe only to its own service subjects (ndxp.svc.<token>.>)
// and to the nats.go micro discovery subjects of its own service
// (DiscoverySubjects), and may publish nothing but answers to the
// requests it received (allow_responses). So a node cannot read another
// agency's requests or discovery requests, cannot send into another
// agency's subjects, and cannot reach JetStream: only the hub sends to
// providers.
func AgencyUser(name, code string) (*server.User, error) {
	own, err := wire.AgencySubjects(code)
	if err != nil {
		return nil, err
	}
	return &server.User{
		Username: name,
		Permissions: &server.Permissions{
			Publish:   &server.SubjectPermission{Deny: []string{">"}},
			Subscribe: &server.SubjectPermission{Allow: append([]string{own}, DiscoverySubjects(code)...)},
			Response:  &server.ResponsePermission{MaxMsgs: 1, Expires: ResponseTTL},
		},
	}, nil
}

// DiscoverySubjects are the subjects nats.go micro subscribes to for the
// service of agency code, and no others: for each verb, the broadcast
// (which HubUser may not send, so it carries nothing), the name-qualified
// subject and the instance-qualified ones. Each entry is literal up to its
// last token: a "*" in the allow list also matches a literal "*" or ">" in
// a subscription, so "$SRV.*" would let "$SRV.>" through.
func DiscoverySubjects(code string) []string {
	svc := wire.ServiceName(code)
	out := slices.Clone(broadcastDiscovery)
	for _, b := range broadcastDiscovery {
		out = append(out, b+"."+svc, b+"."+svc+".*")
	}
	return out
}
