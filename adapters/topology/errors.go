package topology

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of this package, wrapped with the offending value; test with
// errors.Is. Validate also wraps the wire package's ErrAgencyCode and
// ErrServiceCode, each problem in a *FieldError.
var (
	// ErrNoAgencies means the topology has no agencies.
	ErrNoAgencies = errors.New("topology: no agencies")
	// ErrEmpty means a required field is empty.
	ErrEmpty = errors.New("topology: empty")
	// ErrDuplicate means an agency code, service code or reference repeats.
	ErrDuplicate = errors.New("topology: duplicate")
	// ErrUnknownKind means the kind is not one of KindNames.
	ErrUnknownKind = errors.New("topology: unknown kind")
	// ErrUnknownSimulator means the simulator is not one of Simulators.
	ErrUnknownSimulator = errors.New("topology: unknown simulator")
	// ErrTypeName means a request or response type is not a full protobuf
	// message name.
	ErrTypeName = errors.New("topology: invalid protobuf type name")
	// ErrServiceRef means a consumed service is not "provider/service".
	ErrServiceRef = errors.New("topology: invalid service reference")
	// ErrUnknownProvider means a consumed service names an absent agency.
	ErrUnknownProvider = errors.New("topology: unknown provider")
	// ErrUnknownService means a consumed service is not provided by its
	// provider.
	ErrUnknownService = errors.New("topology: unknown service")
	// ErrUnknownBuiltin means Builtin was given an unknown name.
	ErrUnknownBuiltin = errors.New("topology: unknown built-in topology")
	// ErrUnknownSelector means Filter was given neither a code nor a kind.
	ErrUnknownSelector = errors.New("topology: unknown selector")
	// ErrFormat means the file format is neither YAML nor JSON.
	ErrFormat = errors.New("topology: unknown file format")
	// ErrDecode means the data does not decode as a topology file of its
	// format: a syntax error, a wrong type or an unknown field.
	ErrDecode = errors.New("topology: cannot decode")
)

// FieldError locates a problem in a topology: which agency, which field.
type FieldError struct {
	// Index is the agency's index in Topology.Agencies, or -1 for a field
	// of the topology itself.
	Index int
	// Code is the agency's code as written (possibly invalid or empty).
	Code string
	// Field is the field's path in file terms, e.g. "code",
	// "provides[1].request_type" or "consumes[0]".
	Field string
	// Err is the problem.
	Err error
}

// Error returns e.g. `topology: agencies[3] (000.00.00.H2x): code: wire:
// invalid agency code "000.00.00.H2x": ...`.
func (e *FieldError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "topology: ")
	if e.Index < 0 {
		return fmt.Sprintf("topology: %s: %s", e.Field, msg)
	}
	code := e.Code
	if code == "" {
		code = "no code"
	}
	return fmt.Sprintf("topology: agencies[%d] (%s): %s: %s", e.Index, code, e.Field, msg)
}

// Unwrap returns e.Err.
func (e *FieldError) Unwrap() error { return e.Err }
