package platform

import (
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/ndxp/ndxp/adapters/topology"
	"github.com/ndxp/ndxp/hub/audit"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/natsembed"
	"github.com/ndxp/ndxp/internal/pki"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// SecureAgency is an Agency that can run with the development
// certificates. In secure mode the platform issues a certificate for each
// of its Codes, then calls UseCerts before Start.
type SecureAgency interface {
	Agency
	// CertAgencies are the agencies it runs, with their kinds.
	CertAgencies() []pki.Agency
	// UseCerts gives it the certificate folder; natsTLS says whether NATS
	// requires TLS client certificates (the embedded NATS in secure mode).
	UseCerts(dir pki.Dir, natsTLS bool)
}

// InProcessAgency is a SecureAgency whose nodes can reach the embedded
// NATS in process, each with an identity of its agency's permissions,
// instead of over TLS on loopback.
type InProcessAgency interface {
	SecureAgency
	// UseNATS gives the NATS URL and options of each agency code it
	// runs; a code given no options keeps its certificate.
	UseNATS(conn func(code string) (url string, opts []nats.Option))
}

// security is the secure mode's wiring, zero in insecure mode.
type security struct {
	certs      pki.Dir
	natsServer natsembed.Config // TLS and Users for the embedded NATS
	natsOpts   []nats.Option    // the hub's NATS identity
	// hubInProcess is the hub's identity on its in-process connection to
	// the embedded NATS (nil with an external one).
	hubInProcess *natsembed.InProcessUser
	// agencyInProcess are the in-process identities of the agencies
	// started here (InProcessAgency), by code, with an embedded NATS.
	agencyInProcess map[string]*natsembed.InProcessUser
	grpcOpts        []grpc.ServerOption
	serverTLS       *tls.Config // the hub's, for the REST ingress
}

// setupSecurity issues missing development certificates (for every
// agency of the built-in topology, the agencies started here and
// Config.CertAgencies) and prepares TLS for gRPC and the embedded NATS.
func (p *Platform) setupSecurity() error {
	if p.cfg.Insecure {
		p.log.Warn("running INSECURE (--insecure): plaintext gRPC and NATS, no identities, grants not enforced; the consumer named in a request is trusted")
		return nil
	}
	d := pki.Dir(p.cfg.CertDir)
	if d == "" {
		d = pki.DefaultDir(p.cfg.DataDir)
	}
	// With an external NATS and certificates already there (e.g. a
	// Kubernetes Secret: read-only, without the CA's key), the hub issues
	// nothing: it only needs the CA and its own certificate.
	if p.cfg.NATSURL == "" || !d.Exists() {
		agencies, err := p.certAgencies()
		if err != nil {
			return err
		}
		if err := pki.Ensure(d, agencies); err != nil {
			return err
		}
	}
	serverTLS, err := d.ServerTLS()
	if err != nil {
		return err
	}
	hubTLS, err := d.ClientTLS(pki.Hub)
	if err != nil {
		return err
	}
	var users []*server.User
	if p.cfg.NATSURL == "" {
		if users, err = NATSUsers(d); err != nil {
			return err
		}
	}
	var hubID *natsembed.InProcessUser
	if p.cfg.NATSURL == "" {
		// The hub reaches its embedded server in process, where there
		// is no TLS to carry its certificate: it gets an identity of its
		// own, with the permissions its certificate maps to, that only an
		// in-process connection may use.
		if hubID, err = natsembed.NewInProcessUser(natsembed.HubUser(wire.HubURI).Permissions); err != nil {
			return err
		}
	}
	p.sec = security{
		certs:        d,
		hubInProcess: hubID,
		natsServer:   natsembed.Config{TLS: serverTLS, Users: users},
		natsOpts:     []nats.Option{nats.Secure(hubTLS)},
		grpcOpts:     []grpc.ServerOption{grpc.Creds(credentials.NewTLS(serverTLS))},
		serverTLS:    serverTLS,
	}
	if hubID != nil {
		p.sec.natsServer.InProcess = []*natsembed.InProcessUser{hubID}
		if err := p.agencyIdentities(); err != nil {
			return err
		}
	}
	if p.cfg.NATSURL != "" {
		// An external NATS: the hub's certificate (or the one given);
		// startNATS falls back to plaintext, with a warning, when the
		// server does not offer TLS.
		natsTLS, err := p.cfg.NATSTLS.config(hubTLS)
		if err != nil {
			return err
		}
		p.sec.natsOpts = []nats.Option{nats.Secure(natsTLS)}
	}
	p.cfg.Hub.Security.RequireIdentity = true
	p.cfg.Hub.Security.EnforceGrants = true
	if err := auditKeys(&p.cfg.Hub.Audit, hubTLS); err != nil {
		return err
	}
	p.log.Info("secure mode: TLS with client certificates", zap.String("certs", string(d)))
	return nil
}

// auditKeys has the hub sign its audit blocks with the key of its own
// certificate and check the blocks already written against the CA.
func auditKeys(cfg *audit.Config, hubTLS *tls.Config) error {
	if len(hubTLS.Certificates) == 0 || len(hubTLS.Certificates[0].Certificate) == 0 {
		return errors.New("platform: the hub's certificate is missing: it signs the audit chain")
	}
	pair := hubTLS.Certificates[0]
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return fmt.Errorf("platform: the hub's key (%T) cannot sign the audit chain", pair.PrivateKey)
	}
	cfg.Signer = audit.Signer{Key: key, Cert: pair.Certificate[0]}
	cfg.Trust = &audit.Trust{Roots: hubTLS.RootCAs}
	return nil
}

// certAgencies are the agencies to issue certificates for, with the kind
// the built-in topology (or the agency itself) states.
func (p *Platform) certAgencies() ([]pki.Agency, error) {
	topo, err := topology.Builtin("2023")
	if err != nil {
		return nil, err
	}
	all := pki.Codes(p.cfg.CertAgencies...)
	for _, a := range topo.Agencies {
		all = append(all, pki.Agency{Code: a.Code, Kind: a.Kind})
	}
	for _, a := range p.cfg.Agencies {
		if s, ok := a.(SecureAgency); ok {
			all = append(all, s.CertAgencies()...)
		}
	}
	kinds := map[string]hubv1.AgencyKind{}
	for _, a := range all {
		if k, ok := kinds[a.Code]; !ok || k == hubv1.AgencyKind_AGENCY_KIND_UNSPECIFIED {
			kinds[a.Code] = a.Kind
		}
	}
	out := make([]pki.Agency, 0, len(kinds))
	for c, k := range kinds {
		out = append(out, pki.Agency{Code: c, Kind: k})
	}
	slices.SortFunc(out, func(a, b pki.Agency) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// NATSUsers maps every certificate of the folder to a NATS user: the hub
// may do anything, the operator anything but change the evidence, an
// agency only serve its own subjects. The embedded server and the files
// "ndxp nats-config" writes for an external cluster both get these.
func NATSUsers(d pki.Dir) ([]*server.User, error) {
	codes, err := d.Agencies()
	if err != nil {
		return nil, err
	}
	users := []*server.User{natsembed.HubUser(wire.HubURI), natsembed.OperatorUser(wire.OperatorURI, evidence())}
	for _, code := range codes {
		u, err := natsembed.AgencyUser(wire.AgencyURI(code), code)
		if err != nil {
			return nil, fmt.Errorf("platform: NATS user of %s: %w", code, err)
		}
		users = append(users, u)
	}
	return users, nil
}

// evidence is what the operator's NATS user may not change: the record
// and audit streams, their subjects and the audit writer's lease bucket
// (default names; a hub configured with others is not covered).
func evidence() natsembed.Evidence {
	lease := "KV_" + audit.DefaultLeaseBucket
	return natsembed.Evidence{
		Subjects: []string{wire.RecordPrefix + ".>", audit.DefaultSubject, "$KV." + audit.DefaultLeaseBucket + ".>"},
		Streams:  []string{txlog.DefaultStream, audit.DefaultStream, lease},
	}
}

// NATSTLS names the PEM files the hub connects to an external NATS with,
// when they are not the development ones of the certificate folder.
type NATSTLS struct {
	CAFile, CertFile, KeyFile string
}

// config is the hub's TLS towards an external NATS: the files given, or
// else def (the hub's development certificate), with the CA given.
func (n NATSTLS) config(def *tls.Config) (*tls.Config, error) {
	if (n.CertFile == "") != (n.KeyFile == "") {
		return nil, errors.New("platform: --nats-cert and --nats-key go together")
	}
	cfg := def.Clone()
	if n.CertFile != "" {
		c, err := pki.ClientTLS("", n.CertFile, n.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("platform: NATS client certificate: %w", err)
		}
		cfg.Certificates = c.Certificates
	}
	if n.CAFile != "" {
		pool, err := pki.LoadCAPool(n.CAFile)
		if err != nil {
			return nil, fmt.Errorf("platform: NATS CA: %w", err)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// agencyIdentities gives every agency started here that can take one
// (InProcessAgency) an in-process identity with the permissions its
// certificate maps to (natsembed.AgencyUser), so that its nodes reach the
// embedded NATS through a pipe in the process instead of TLS on loopback.
func (p *Platform) agencyIdentities() error {
	p.sec.agencyInProcess = map[string]*natsembed.InProcessUser{}
	for _, a := range p.cfg.Agencies {
		s, ok := a.(InProcessAgency)
		if !ok {
			continue
		}
		for _, ag := range s.CertAgencies() {
			u, err := natsembed.AgencyUser(wire.AgencyURI(ag.Code), ag.Code)
			if err != nil {
				return err
			}
			id, err := natsembed.NewInProcessUser(u.Permissions)
			if err != nil {
				return err
			}
			p.sec.agencyInProcess[ag.Code] = id
			p.sec.natsServer.InProcess = append(p.sec.natsServer.InProcess, id)
		}
	}
	return nil
}

// secureAgency hands the certificates to an agency before it starts, and
// with an embedded NATS its nodes' in-process identities.
func (p *Platform) secureAgency(a Agency) {
	s, ok := a.(SecureAgency)
	if !ok || p.sec.certs == "" {
		return
	}
	s.UseCerts(p.sec.certs, p.natsTLS)
	if in, ok := a.(InProcessAgency); ok && p.nats != nil && len(p.sec.agencyInProcess) > 0 {
		in.UseNATS(func(code string) (string, []nats.Option) {
			if id := p.sec.agencyInProcess[code]; id != nil {
				return natsembed.InProcessURL, id.Options(p.nats)
			}
			return "", nil
		})
	}
}

// Certs is the certificate folder in secure mode, "" in insecure mode.
func (p *Platform) Certs() pki.Dir { return p.sec.certs }

// DefaultDataDir is where `ndxp up` keeps its data when --data-dir is not
// given: <user cache dir>/ndxp. Clients find the development certificates
// under it.
func DefaultDataDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "ndxp")
}

// guardHTTP keeps transaction records and the process's profiles off a
// non-loopback HTTP listener in secure mode: the HTTP side has no client
// certificates, records name the officials and cases behind each
// exchange, and a heap profile holds whatever the process holds. The
// dashboard's counters stay public; records are read through the gRPC
// QueryRecords with a certificate (an agency its own, the operator all).
func (p *Platform) guardHTTP(h http.Handler) http.Handler {
	if p.sec.certs == "" || isLoopback(p.cfg.HTTPAddr) {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/records") {
			http.Error(w, "records are not served over plain HTTP on a non-loopback address in secure mode; use ndxp records (gRPC QueryRecords with a certificate)", http.StatusForbidden)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/debug/") {
			http.Error(w, "profiles are served only on a loopback HTTP address in secure mode; profile from the hub's machine (--http-addr 127.0.0.1:...)", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// isLoopback reports whether a listen address is on the loopback
// interface only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
