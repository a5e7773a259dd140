package platform

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ndxp/ndxp/hub/restapi"
)

// startREST serves the REST ingress on Config.RESTAddr, if set: HTTPS
// with the hub's certificate, verifying client certificates against the
// CA as the gRPC server does (secure mode), or plain HTTP (insecure).
func (p *Platform) startREST() error {
	if p.cfg.RESTAddr == "" {
		return nil
	}
	lis, err := net.Listen("tcp", p.cfg.RESTAddr)
	if err != nil {
		return fmt.Errorf("platform: REST listen on %s: %w (choose another with --rest-addr)", p.cfg.RESTAddr, err)
	}
	api := restapi.New(p.hub, restapi.Config{RequireIdentity: p.cfg.Hub.Security.RequireIdentity}, p.log.Named("rest"))
	p.Registry.MustRegister(api.Collectors()...)
	p.restLis = lis
	p.rest = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	if p.sec.serverTLS != nil {
		p.rest.TLSConfig = p.sec.serverTLS.Clone()
		go p.serve("rest", func() error { return p.rest.ServeTLS(lis, "", "") })
		return nil
	}
	go p.serve("rest", func() error { return p.rest.Serve(lis) })
	return nil
}

// RESTURL is the REST ingress's base URL (https:// in secure mode), or ""
// when it is off.
func (p *Platform) RESTURL() string {
	if p.restLis == nil {
		return ""
	}
	if p.sec.serverTLS != nil {
		return "https://" + p.restLis.Addr().String()
	}
	return "http://" + p.restLis.Addr().String()
}
