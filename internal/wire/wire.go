// Package wire defines how the hub and agency nodes talk over NATS: the
// subjects services are served on, the headers that carry a transaction's
// metadata, and the validation of the identifiers those are built from.
//
// A request to a provider's service is a NATS request on
//
//	ndxp.svc.<provider token>.<service code>
//
// whose body is the payload bytes and whose headers carry the metadata
// below. The provider token is the agency code with its dots replaced by
// underscores ("000.00.00.H29" -> "000_00_00_H29"), so that one agency is
// exactly one subject token and "ndxp.svc.<token>.>" covers its services.
// A provider answers with the response payload, or with the nats.go micro
// error headers (Nats-Service-Error-Code holding a gRPC code number).
package wire

import (
	"errors"
	"fmt"
	"strings"
)

// Headers carrying a transaction's metadata on NATS messages.
const (
	// HeaderMsgID is the transaction's message id.
	HeaderMsgID = "Ndxp-Msg-Id"
	// HeaderConsumer is the consumer's agency code.
	HeaderConsumer = "Ndxp-Consumer"
	// HeaderProvider is the provider's agency code.
	HeaderProvider = "Ndxp-Provider"
	// HeaderService is the service code.
	HeaderService = "Ndxp-Service"
	// HeaderBusinessTime is the business time, RFC 3339 with nanoseconds.
	HeaderBusinessTime = "Ndxp-Business-Time"
	// HeaderContext is the context token of the exchange (see hub/callctx):
	// a provider passes it back on the nested exchanges it makes while
	// serving this one, which are then counted at this business time.
	HeaderContext = "Ndxp-Context"
	// HeaderPurpose is the purpose the consumer stated.
	HeaderPurpose = "Ndxp-Purpose"
	// HeaderUserID is the end user the consumer acts for.
	HeaderUserID = "Ndxp-User-Id"
	// HeaderPayloadType is the payload's type URL
	// ("type.googleapis.com/<full message name>"), on requests and replies.
	HeaderPayloadType = "Ndxp-Payload-Type"
	// HeaderDeadline is the absolute deadline, RFC 3339 with nanoseconds,
	// after which the hub no longer waits for the answer.
	HeaderDeadline = "Ndxp-Deadline"
)

// Unknown stands in a transaction record, and in a metric label, for a
// consumer, provider or service that is not registered: a refused request
// may name anything, and what it named must not become a counter key or a
// label value (the refusal's message keeps it). No agency code can be
// Unknown, and the registry refuses it as a service code.
const Unknown = "unknown"

// Subject prefixes.
const (
	// ServicePrefix starts every service subject.
	ServicePrefix = "ndxp.svc"
	// RecordPrefix starts every transaction-record subject.
	RecordPrefix = "ndxp.tx"
)

// Errors returned by the validators; wrapped with the offending value.
var (
	ErrAgencyCode  = errors.New("wire: invalid agency code")
	ErrServiceCode = errors.New("wire: invalid service code")
)

// agencyCodeShape is the form of an agency code: 'd' a digit, 'L' a
// capital letter, '.' itself. The codes are checked several times per
// exchange, so by hand rather than with a regular expression.
const agencyCodeShape = "ddd.dd.dd.Ldd"

func isAgencyCode(code string) bool {
	if len(code) != len(agencyCodeShape) {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch agencyCodeShape[i] {
		case 'd':
			if c < '0' || c > '9' {
				return false
			}
		case 'L':
			if c < 'A' || c > 'Z' {
				return false
			}
		default:
			if c != '.' {
				return false
			}
		}
	}
	return true
}

// isServiceCode reports whether code is ^[a-z][a-z0-9-]{0,63}$.
func isServiceCode(code string) bool {
	if len(code) == 0 || len(code) > 64 || code[0] < 'a' || code[0] > 'z' {
		return false
	}
	for i := 1; i < len(code); i++ {
		c := code[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// ValidateAgencyCode reports whether code is an electronic agency code of
// Decision 20/2020: "DDD.DD.DD.LDD", e.g. "000.00.00.H29".
func ValidateAgencyCode(code string) error {
	if !isAgencyCode(code) {
		return fmt.Errorf("%w %q: want the form 000.00.00.H29 (3, 2 and 2 digits, then a capital letter and 2 digits)", ErrAgencyCode, code)
	}
	return nil
}

// ValidateServiceCode reports whether code is a service code: lower-case
// letters, digits and '-', starting with a letter, at most 64 characters.
func ValidateServiceCode(code string) error {
	if !isServiceCode(code) {
		return fmt.Errorf("%w %q: want lower-case letters, digits and '-', starting with a letter, at most 64 characters", ErrServiceCode, code)
	}
	return nil
}

// Token turns a valid agency code into its subject token.
func Token(code string) string {
	return strings.ReplaceAll(code, ".", "_")
}

// ServiceSubject is the subject a provider serves a service on.
func ServiceSubject(provider, service string) (string, error) {
	if err := ValidateAgencyCode(provider); err != nil {
		return "", err
	}
	if err := ValidateServiceCode(service); err != nil {
		return "", err
	}
	return ServicePrefix + "." + Token(provider) + "." + service, nil
}

// AgencySubjects is the wildcard covering every service of an agency.
func AgencySubjects(code string) (string, error) {
	if err := ValidateAgencyCode(code); err != nil {
		return "", err
	}
	return ServicePrefix + "." + Token(code) + ".>", nil
}

// ServiceName is the nats.go micro service name of an agency's node:
// "ndxp-<token>". Every instance of one agency uses the same name, so they
// share the load through the micro queue group.
func ServiceName(code string) string {
	return "ndxp-" + Token(code)
}

// RecordSubject is the subject a transaction record is stored under:
// ndxp.tx.<consumer token>.<provider token>.<service>. Consumer or provider
// may be unknown for refused requests; "_" stands in for them.
func RecordSubject(consumer, provider, service string) string {
	return RecordPrefix + "." + tokenOrBlank(consumer) + "." + tokenOrBlank(provider) + "." + serviceOrBlank(service)
}

func tokenOrBlank(code string) string {
	if ValidateAgencyCode(code) != nil {
		return "_"
	}
	return Token(code)
}

func serviceOrBlank(s string) string {
	if ValidateServiceCode(s) != nil {
		return "_"
	}
	return s
}

// TypeURLPrefix is the prefix of protobuf Any type URLs.
const TypeURLPrefix = "type.googleapis.com/"
