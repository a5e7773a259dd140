package wire

import (
	"net/http"

	"google.golang.org/grpc/codes"
)

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

// HTTPStatus is the HTTP status of a gRPC code, as Google's API design guide
// and grpc-gateway map them.
func HTTPStatus(c codes.Code) int {
	switch c {
	case codes.OK:
		return http.StatusOK
	case codes.Canceled:
		return 499 // client closed request
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError // Unknown, Internal, DataLoss
}

// CodeOfHTTPStatus is the gRPC code of an HTTP status, as gRPC maps them
// (an HTTP backend's answer without a gRPC code of its own).
func CodeOfHTTPStatus(status int) codes.Code {
	switch status {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict:
		return codes.AlreadyExists
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	}
	if status >= 500 {
		return codes.Internal
	}
	return codes.Unknown
}
