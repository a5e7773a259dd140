package natsembed

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// Account names in a generated configuration file: the application
// account holds every user (hubs, the operator, agencies) and JetStream;
// the system account is the server's own.
const (
	AppAccount    = "NDXP"
	SystemAccount = "SYS"
)

// File describes a nats-server configuration file for one server of an
// external cluster, secured like the embedded server: TLS with client
// certificates mapped to Users by their URI SAN, the same permissions,
// the same system requests imported, JetStream with explicit limits,
// routes over TLS and a monitoring port. Paths are as the server sees them.
type File struct {
	// ServerName names the server; every server of a cluster needs its own.
	ServerName string
	// Listen is the client address ("host:port").
	Listen string
	// Monitor is the HTTP monitoring address ("host:port", /varz,
	// /healthz, …, which prometheus-nats-exporter scrapes); "" for none.
	Monitor string
	// StoreDir is JetStream's data folder; MaxMemory and MaxStore its
	// limits (0: DefaultMaxMemory, DefaultMaxStore).
	StoreDir  string
	MaxMemory int64
	MaxStore  int64
	// CAFile, CertFile and KeyFile are the PEM files of the CA (clients
	// and routes are verified against it) and of the server's certificate.
	// All empty: plaintext, no authentication (development only).
	CAFile, CertFile, KeyFile string
	// Users are the users certificates map to (see HubUser, OperatorUser
	// and AgencyUser): the embedded server's Config.Users.
	Users []*server.User
	// Cluster, when its Name is set, configures the routes (over TLS,
	// with the same certificate, when the certificate files are set).
	// Host and Port are where routes are accepted.
	Cluster Cluster
}

// Validate reports a file that cannot configure a server.
func (f *File) Validate() error {
	if f.ServerName == "" {
		return errors.New("natsembed: the server name is required")
	}
	if f.StoreDir == "" {
		return errors.New("natsembed: the JetStream store dir is required")
	}
	if _, _, err := net.SplitHostPort(f.Listen); err != nil {
		return fmt.Errorf("natsembed: listen address %q: %w", f.Listen, err)
	}
	if f.Monitor != "" {
		if _, _, err := net.SplitHostPort(f.Monitor); err != nil {
			return fmt.Errorf("natsembed: monitoring address %q: %w", f.Monitor, err)
		}
	}
	n := 0
	for _, s := range []string{f.CAFile, f.CertFile, f.KeyFile} {
		if s != "" {
			n++
		}
	}
	if n != 0 && n != 3 {
		return errors.New("natsembed: the CA, certificate and key files go together")
	}
	if n == 0 && len(f.Users) > 0 {
		return errors.New("natsembed: users need TLS: certificates map to them")
	}
	if f.Cluster.Name != "" && f.Cluster.Port <= 0 {
		return errors.New("natsembed: the cluster needs a route port")
	}
	if f.MaxMemory < 0 || f.MaxStore < 0 {
		return errors.New("natsembed: JetStream limits must not be negative")
	}
	return nil
}

// Render writes the configuration in nats-server's format.
func (f File) Render() ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.MaxMemory == 0 {
		f.MaxMemory = DefaultMaxMemory
	}
	if f.MaxStore == 0 {
		f.MaxStore = DefaultMaxStore
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# nats-server configuration written by \"ndxp nats-config\": the users,\n")
	w("# permissions and system imports are those of ndxp's embedded server\n")
	w("# (internal/natsembed). Regenerate it rather than edit it.\n\n")
	name := q(f.ServerName)
	if envVar.MatchString(f.ServerName) {
		name = f.ServerName // a variable: nats-server reads it from the environment
	}
	w("server_name: %s\nlisten: %s\n", name, q(f.Listen))
	if f.Monitor != "" {
		w("http: %s\n", q(f.Monitor))
	}
	w("max_payload: %d\n\n", maxPayload)
	w("jetstream {\n  store_dir: %s\n  max_memory_store: %d\n  max_file_store: %d\n}\n\n", q(f.StoreDir), f.MaxMemory, f.MaxStore)
	secure := f.CertFile != ""
	if secure {
		w("# TLS with a client certificate, mapped to a user by its URI SAN.\n")
		w("tls {\n%s  verify_and_map: true\n  timeout: %d\n}\n\n", f.tlsFiles("  "), tlsTimeout)
	}
	w("system_account: %s\n\naccounts {\n", SystemAccount)
	w("  %s {\n    jetstream: enabled\n    users: [\n", AppAccount)
	for _, u := range f.Users {
		w("      %s\n", user(u))
	}
	w("    ]\n    imports: [\n")
	for _, s := range systemRequests {
		w("      {service: {account: %s, subject: %s}}\n", SystemAccount, q(s))
	}
	w("    ]\n  }\n  %s {\n    exports: [\n", SystemAccount)
	for _, s := range systemRequests {
		w("      {service: %s, response_type: stream, accounts: [%s]}\n", q(s), AppAccount)
	}
	w("    ]\n  }\n}\n")
	if c := f.Cluster; c.Name != "" {
		host := c.Host
		if host == "" {
			host = "0.0.0.0"
		}
		w("\ncluster {\n  name: %s\n  listen: %s\n  routes: [%s]\n", q(c.Name), q(net.JoinHostPort(host, strconv.Itoa(c.Port))), quoteAll(c.Routes))
		if secure {
			w("  tls {\n%s    verify: true\n    timeout: %d\n  }\n", f.tlsFiles("    "), tlsTimeout)
		}
		w("}\n")
	}
	return []byte(b.String()), nil
}

func (f File) tlsFiles(indent string) string {
	return fmt.Sprintf("%scert_file: %s\n%skey_file: %s\n%sca_file: %s\n", indent, q(f.CertFile), indent, q(f.KeyFile), indent, q(f.CAFile))
}

// user renders one user with its permissions.
func user(u *server.User) string {
	parts := []string{"user: " + q(u.Username)}
	if p := u.Permissions; p != nil {
		var perms []string
		if s := subjectPerm(p.Publish); s != "" {
			perms = append(perms, "publish: "+s)
		}
		if s := subjectPerm(p.Subscribe); s != "" {
			perms = append(perms, "subscribe: "+s)
		}
		if r := p.Response; r != nil {
			perms = append(perms, fmt.Sprintf("allow_responses: {max: %d, expires: %s}", r.MaxMsgs, q(r.Expires.String())))
		}
		parts = append(parts, "permissions: {"+strings.Join(perms, ", ")+"}")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func subjectPerm(p *server.SubjectPermission) string {
	if p == nil {
		return ""
	}
	var parts []string
	if len(p.Allow) > 0 {
		parts = append(parts, "allow: ["+quoteAll(p.Allow)+"]")
	}
	if len(p.Deny) > 0 {
		parts = append(parts, "deny: ["+quoteAll(p.Deny)+"]")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// q quotes a string for the configuration format (JSON's quoting, which
// it reads): "$SYS..." in quotes is a subject, not a variable.
func q(s string) string { return strconv.Quote(s) }

func quoteAll(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = q(s)
	}
	return strings.Join(out, ", ")
}

// envVar is a server name taken from the environment, e.g. $POD_NAME in
// a Kubernetes StatefulSet, where every member shares one file.
var envVar = regexp.MustCompile(`^\$[A-Za-z_][A-Za-z0-9_]*$`)

// Shared with Start, so that both servers behave alike.
const (
	maxPayload = 8 << 20
	tlsTimeout = 5
)
