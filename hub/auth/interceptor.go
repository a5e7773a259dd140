package auth

import (
	"context"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	grpcauth "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Exempt reports whether a gRPC service may be called without a client
// certificate: the health service (for probes) and server reflection
// (it describes the API, which is public, so that `grpcurl -cacert ... list`
// works before a user has picked an identity).
func Exempt(service string) bool {
	return service == "grpc.health.v1.Health" || strings.HasPrefix(service, "grpc.reflection.")
}

// UnaryServerInterceptor requires a verified client certificate carrying an
// ndxp identity on every call except Exempt services, and puts the
// Identity in the context. It needs TLS server credentials that verify
// client certificates against the CA (pki.ServerTLS).
func UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return selector.UnaryServerInterceptor(grpcauth.UnaryServerInterceptor(fromPeer), selector.MatchFunc(notExempt))
}

// StreamServerInterceptor is UnaryServerInterceptor for streams.
func StreamServerInterceptor() grpc.StreamServerInterceptor {
	return selector.StreamServerInterceptor(grpcauth.StreamServerInterceptor(fromPeer), selector.MatchFunc(notExempt))
}

func notExempt(_ context.Context, c interceptors.CallMeta) bool { return !Exempt(c.Service) }

// fromPeer maps the caller's verified TLS certificate to its identity.
func fromPeer(ctx context.Context) (context.Context, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "auth: no peer information")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "auth: the hub requires TLS with a client certificate; this connection is not TLS")
	}
	chains := info.State.VerifiedChains
	if len(chains) == 0 || len(chains[0]) == 0 {
		return nil, status.Error(codes.Unauthenticated,
			"auth: a client certificate is required (ndxp: --as <agency code> or --cert/--key; grpcurl: -cert/-key)")
	}
	id, err := FromCertificate(chains[0][0])
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	return NewContext(ctx, id), nil
}
