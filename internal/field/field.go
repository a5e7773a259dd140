// Package field reports invalid input by naming the field at fault. The
// gRPC edge maps an *Error (or Errors) to INVALID_ARGUMENT with the name in
// the message and a google.rpc.BadRequest detail listing each field, so
// every layer can validate without knowing about gRPC.
package field

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"
)

// Error is an invalid value of one named field.
type Error struct {
	// Field is the field's path in the request, e.g. "agency.services[2].code".
	Field string
	// Reason says what is wrong and what is expected.
	Reason string
}

// Error implements error: "invalid <field>: <reason>".
func (e *Error) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// Errorf returns an *Error for name with a formatted reason.
func Errorf(name, format string, args ...any) error {
	return &Error{Field: name, Reason: fmt.Sprintf(format, args...)}
}

// Wrap returns err as an *Error for name, or nil if err is nil. An err that
// already is an *Error gets name prefixed to its field; Errors get it
// prefixed to each field.
func Wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		out := make(Errors, len(es))
		for i, e := range es {
			out[i] = &Error{Field: name + "." + e.Field, Reason: e.Reason}
		}
		return out
	}
	var fe *Error
	if errors.As(err, &fe) {
		return &Error{Field: name + "." + fe.Field, Reason: fe.Reason}
	}
	return &Error{Field: name, Reason: err.Error()}
}

// Parse reads back an error text of the form Error writes ("invalid
// <field>: <reason>"), as providers return it in their messages; ok is
// false for any other text.
func Parse(msg string) (e *Error, ok bool) {
	rest, found := strings.CutPrefix(msg, "invalid ")
	if !found {
		return nil, false
	}
	name, reason, found := strings.Cut(rest, ": ")
	if !found || name == "" || strings.ContainsAny(name, " \t") {
		return nil, false
	}
	return &Error{Field: name, Reason: reason}, true
}

// Errors are the invalid values of several fields of one request, by
// field number (protovalidate reports every rule a request breaks, not
// only the first). errors.As finds its first *Error.
type Errors []*Error

// Error implements error: each field's "invalid <field>: <reason>",
// joined by "; ".
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns each *Error, for errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// All returns every field at fault in err: the *Error values of an Errors
// found in its chain, else the first *Error in it, else none.
func All(err error) []*Error {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var fe *Error
	if errors.As(err, &fe) {
		return []*Error{fe}
	}
	return nil
}

// rules is the protovalidate validator behind Check: built once, its
// compiled rules cached per message type; safe for concurrent use.
var rules = sync.OnceValues(func() (protovalidate.Validator, error) { return protovalidate.New() })

// Check checks msg against the buf.validate (protovalidate) annotations of
// its .proto file, where the contracts state their field rules, and
// returns Errors naming every field at fault, by field number (paths
// as protovalidate writes them: "services[1].code"). A rule that cannot be
// evaluated is returned as is: a bug in the contract, not in the input.
func Check(msg proto.Message) error {
	v, err := rules()
	if err != nil {
		return fmt.Errorf("field: the validation rules do not compile: %w", err)
	}
	err = v.Validate(msg)
	var ve *protovalidate.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	// protovalidate's order is not stable (oneofs, maps): sort by the
	// fields' numbers, a oneof as a whole after the fields.
	vs := slices.Clone(ve.Violations)
	slices.SortStableFunc(vs, func(a, b *protovalidate.Violation) int {
		return slices.Compare(fieldNumbers(a), fieldNumbers(b))
	})
	errs := make(Errors, len(vs))
	for i, v := range vs {
		errs[i] = &Error{Field: protovalidate.FieldPathString(v.Proto.GetField()), Reason: v.Proto.GetMessage()}
	}
	return errs
}

// fieldNumbers is the path of v's field as field numbers; an element
// without one (a oneof) sorts last.
func fieldNumbers(v *protovalidate.Violation) []int32 {
	elems := v.Proto.GetField().GetElements()
	nums := make([]int32, len(elems))
	for i, e := range elems {
		nums[i] = e.GetFieldNumber()
		if nums[i] == 0 {
			nums[i] = math.MaxInt32
		}
	}
	return nums
}
