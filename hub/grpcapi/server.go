package grpcapi

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/hub/auth"

	// The simulators' message types, so that server reflection can resolve
	// the payloads' @type and grpcurl can write them as JSON.
	_ "github.com/ndxp/ndxp/proto/ndxp/business/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/civilregistry/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/document/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/generic/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/land/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/lgsp/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/officials/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/population/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/portal/v1"
	_ "github.com/ndxp/ndxp/proto/ndxp/reporting/v1"
)

// Server is the hub's gRPC server with its health service. It does not
// own the hub: close the hub after Shutdown.
type Server struct {
	*grpc.Server
	// Health is the standard health service; Shutdown marks it NOT_SERVING.
	Health *health.Server
	// Metrics are the per-RPC Prometheus metrics; register them too.
	Metrics *grpcprom.ServerMetrics
	edge    *edge
}

// NewServer assembles the gRPC server over h: the interceptors in a fixed
// order (metrics -> logging (when log is at debug) -> auth -> recovery),
// the hub's services, the health service and reflection. Auth is there
// when h's Security.RequireIdentity is
// set: it puts the caller's certificate identity in the context and
// refuses calls without one, except health and reflection; opts must then
// carry TLS credentials (pki.Dir.ServerTLS). Rate limits are applied per
// consumer inside the exchange, where refusals are recorded and counted.
func NewServer(h *hub.Hub, log *zap.Logger, opts ...grpc.ServerOption) *Server {
	// No handling-time histogram: an exchange's latency is measured once,
	// by ndxp_exchange_duration_seconds (hub/metrics.go).
	m := grpcprom.NewServerMetrics()
	lg := logging.LoggerFunc(func(_ context.Context, lvl logging.Level, msg string, fields ...any) {
		log.Sugar().Logw(zapLevel(lvl), msg, fields...)
	})
	logOpts := []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithLevels(codeToLevel),
	}
	rec := recovery.WithRecoveryHandler(func(p any) error {
		log.Error("panic in gRPC handler", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
		return status.Error(codes.Internal, "hub: internal error")
	})
	unary := []grpc.UnaryServerInterceptor{m.UnaryServerInterceptor()}
	stream := []grpc.StreamServerInterceptor{m.StreamServerInterceptor()}
	// Every finished call is logged at debug (codeToLevel): without debug
	// the interceptor would build its fields on every call for nothing.
	if log.Core().Enabled(zap.DebugLevel) {
		unary = append(unary, logging.UnaryServerInterceptor(lg, logOpts...))
		stream = append(stream, logging.StreamServerInterceptor(lg, logOpts...))
	}
	cfg := h.Config()
	if cfg.Security.RequireIdentity {
		unary = append(unary, auth.UnaryServerInterceptor())
		stream = append(stream, auth.StreamServerInterceptor())
	}
	base := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(append(unary, recovery.UnaryServerInterceptor(rec))...),
		grpc.ChainStreamInterceptor(append(stream, recovery.StreamServerInterceptor(rec))...),
		grpc.MaxRecvMsgSize(cfg.MaxPayload + 64<<10),
		grpc.ForceServerCodecV2(newCodec()), // invalid UTF-8 is the caller's mistake, not INTERNAL
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	}
	s := grpc.NewServer(append(base, opts...)...)
	e := &edge{h: h, log: log}
	register(s, e)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	m.InitializeMetrics(s)
	for name := range s.GetServiceInfo() {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	return &Server{Server: s, Health: hs, Metrics: m, edge: e}
}

// Shutdown marks the server NOT_SERVING, ends the streams that never
// finish by themselves, lets in-flight calls finish until ctx ends, then
// stops hard.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Health.Shutdown()
	s.edge.watches.end() // WatchStats, Subscribe, ReceiveDocuments
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Stop()
		return fmt.Errorf("hub: calls still in flight at shutdown were cut: %w", ctx.Err())
	}
}

// codeToLevel logs every finished call at debug: outcomes are counted and
// exposed as metrics, and a failing provider or a bad caller must not
// flood the log. The hub logs its own failures where they happen.
func codeToLevel(codes.Code) logging.Level { return logging.LevelDebug }

func zapLevel(l logging.Level) zapcore.Level {
	switch l {
	case logging.LevelDebug:
		return zap.DebugLevel
	case logging.LevelInfo:
		return zap.InfoLevel
	case logging.LevelWarn:
		return zap.WarnLevel
	}
	return zap.ErrorLevel
}
