package natsembed

import (
	"fmt"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// InProcessURL stands for the embedded server's in-process connection
// where a URL is asked for (it is never dialled: the connection's
// InProcessServer option takes its place); plain nats://, since an
// in-process connection carries no TLS.
const InProcessURL = "nats://in-process"

// InProcessUser is a NATS identity for a client in the same process as
// the embedded server: an nkey user generated at start, whose seed never
// leaves the process's memory, and whom the server admits only on an
// in-process connection (nats-server's IN_PROCESS connection type): not
// over TCP, TLS or not, even with the public key. In-process connections
// carry no TLS (they are a pipe inside the process), so a certificate
// cannot name the client there: this identity does, with the permissions
// the certificate would map to.
type InProcessUser struct {
	user *server.NkeyUser
	kp   nkeys.KeyPair
}

// NewInProcessUser generates an identity with perms, e.g.
// HubUser(...).Permissions. Give it to the server in Config.InProcess and
// connect with its Options.
func NewInProcessUser(perms *server.Permissions) (*InProcessUser, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("natsembed: in-process identity: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("natsembed: in-process identity: %w", err)
	}
	return &InProcessUser{kp: kp, user: &server.NkeyUser{
		Nkey:                   pub,
		Permissions:            perms,
		AllowedConnectionTypes: map[string]struct{}{jwt.ConnectionTypeInProcess: {}},
	}}, nil
}

// PublicKey is the identity's public nkey (as the server's logs and
// connection reports name it).
func (u *InProcessUser) PublicKey() string { return u.user.Nkey }

// Options connect to s in process as this identity: pass them to
// nats.Connect with any URL ("" will do).
func (u *InProcessUser) Options(s *server.Server) []nats.Option {
	return []nats.Option{nats.InProcessServer(s), nats.Nkey(u.user.Nkey, u.kp.Sign)}
}
