package restapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// obj is one JSON object of the OpenAPI document.
type obj = map[string]any

// serveOpenAPI answers the catalogue: OpenAPI 3.1 of every registered
// service, generated on each request from the registry (so a newly
// registered agency appears at once) and the types' descriptors.
func (a *API) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	server := a.cfg.ServerURL
	if server == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		server = scheme + "://" + r.Host
	}
	b, err := json.MarshalIndent(a.OpenAPI(server), "", "  ")
	if err != nil {
		writeError(w, &Error{Status: http.StatusInternalServerError, Code: "INTERNAL", Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// OpenAPI returns the OpenAPI 3.1 description of the ingress for the
// services registered now, with server as its server URL: one operation
// per service (its request and response schemas from the protobuf
// descriptors, the headers, the errors), and the generic send, delivery
// and allowed operations.
func (a *API) OpenAPI(server string) map[string]any {
	s := &schemas{types: a, defs: obj{}}
	paths := obj{}
	for _, ag := range a.core.Agencies() {
		for _, svc := range ag.GetServices() {
			paths["/r1/"+ag.GetCode()+"/"+svc.GetCode()] = obj{"post": s.operation(ag, svc)}
		}
	}
	paths["/r1/send/{provider}/{service}"] = obj{"post": sendOperation()}
	paths["/r1/deliveries/{id}"] = obj{"get": deliveryOperation()}
	paths["/r1/allowed"] = obj{"get": allowedOperation()}
	s.asyncPaths(paths)
	s.defs["Error"] = errorSchema()
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "ndxp hub REST ingress",
			"version": "r1",
			"description": "Exchanges between agencies through the national data-exchange hub. " +
				"Each exchange is checked, recorded, counted and audited exactly as over gRPC. " +
				"Bodies are the services' protobuf messages in protobuf JSON form.",
		},
		"servers":    []obj{{"url": server}},
		"security":   []obj{{"mutualTLS": []string{}}},
		"paths":      paths,
		"components": obj{"schemas": s.defs, "responses": errorResponses(), "securitySchemes": obj{"mutualTLS": obj{"type": "mutualTLS", "description": "the agency's client certificate, issued by the platform's CA"}}},
	}
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

func (s *schemas) operation(ag *hubv1.Agency, svc *hubv1.Service) obj {
	desc := svc.GetDescription()
	if svc.GetPersonalData() {
		desc += " Returns personal data: Ndxp-Purpose and Ndxp-User-Id are required."
	}
	op := obj{
		"operationId": nonWord.ReplaceAllString(ag.GetCode()+"_"+svc.GetCode(), "_"),
		"summary":     svc.GetCode() + " (" + ag.GetName() + ")",
		"description": desc,
		"tags":        []string{ag.GetCode() + " " + ag.GetName()},
		"parameters":  headerParams(svc.GetPersonalData()),
		"responses":   withErrors(obj{"200": obj{"description": "the provider's answer", "headers": answerHeaders(), "content": s.content(svc.GetResponseType())}}),
	}
	op["requestBody"] = obj{"required": true, "content": s.content(svc.GetRequestType())}
	return op
}

// content is a JSON content of the message named, or any JSON object when
// the hub does not know it.
func (s *schemas) content(name string) obj {
	return obj{"application/json": obj{"schema": s.ref(name)}}
}

func headerParams(personal bool) []obj {
	h := func(name, desc string, required bool) obj {
		return obj{"name": name, "in": "header", "required": required, "description": desc, "schema": obj{"type": "string"}}
	}
	return []obj{
		h(wire.HTTPHeaderMessageID, "the transaction's id, unique per consumer (at most 128 printable ASCII characters); a retry reuses it and is counted once; empty: the hub assigns one", false),
		h(wire.HeaderPurpose, "why the data is needed, e.g. a case file number", personal),
		h(wire.HeaderUserID, "the official on whose behalf the consumer calls", personal),
		h(wire.HeaderConsumer, "the consumer's agency code: only the operator (or anyone on an insecure hub) names it; an agency is its certificate", false),
		h(wire.HTTPHeaderTimeout, "how long the exchange may take, e.g. 5s (capped by the hub)", false),
		h(wire.HeaderBusinessTime, "the time the transaction is counted at (RFC 3339): only the operator's load replays set it", false),
	}
}

func answerHeaders() obj {
	h := func(desc string) obj { return obj{"description": desc, "schema": obj{"type": "string"}} }
	return obj{
		wire.HTTPHeaderMessageID:    h("the transaction's message id"),
		wire.HTTPHeaderBusinessDay:  h("the business day (YYYY-MM-DD, Vietnam time) the transaction was counted on"),
		wire.HTTPHeaderResponseType: h("the protobuf type of the body"),
	}
}

// errorStatuses are the HTTP statuses an exchange may be answered with,
// and the gRPC codes they stand for.
var errorStatuses = [][2]string{
	{"400", "INVALID_ARGUMENT: a malformed field or body, named in details"},
	{"401", "UNAUTHENTICATED: no client certificate"},
	{"403", "PERMISSION_DENIED: no grant, or acting for another agency"},
	{"404", "NOT_FOUND: unknown provider or service"},
	{"409", "ALREADY_EXISTS: the message id was used for another request"},
	{"413", "RESOURCE_EXHAUSTED: the body or payload is too large"},
	{"429", "RESOURCE_EXHAUSTED: a rate limit or quota was hit"},
	{"503", "UNAVAILABLE: no node of the provider is online, or the record could not be stored"},
	{"504", "DEADLINE_EXCEEDED: the provider did not answer in time"},
}

func withErrors(r obj) obj {
	for _, s := range errorStatuses {
		r[s[0]] = obj{"$ref": "#/components/responses/E" + s[0]}
	}
	r["default"] = obj{"$ref": "#/components/responses/Error"}
	return r
}

func errorResponses() obj {
	out := obj{"Error": obj{"description": "any other error of the provider, with its gRPC code", "content": errorContent()}}
	for _, s := range errorStatuses {
		out["E"+s[0]] = obj{"description": s[1], "content": errorContent()}
	}
	return out
}

func errorContent() obj {
	return obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}
}

func errorSchema() obj {
	return obj{
		"type":     "object",
		"required": []string{"code", "message"},
		"properties": obj{
			"code":    obj{"type": "string", "description": "the gRPC code name, e.g. NOT_FOUND"},
			"message": obj{"type": "string"},
			"details": obj{"type": "array", "items": obj{
				"type": "object", "required": []string{"field", "description"},
				"properties": obj{"field": obj{"type": "string"}, "description": obj{"type": "string"}},
			}},
		},
	}
}

func sendOperation() obj {
	return obj{
		"operationId": "send",
		"summary":     "Send a request for asynchronous delivery (store and forward)",
		"description": "The body is the service's request message, as for an exchange. Ndxp-Message-Id is required. The hub checks it as an exchange, stores it and answers 202; fetch the outcome with GET /r1/deliveries/{id}.",
		"parameters": append([]obj{
			{"name": "provider", "in": "path", "required": true, "schema": obj{"type": "string"}},
			{"name": "service", "in": "path", "required": true, "schema": obj{"type": "string"}},
		}, headerParams(false)...),
		"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}},
		"responses": withErrors(obj{"202": obj{"description": "stored for delivery (ndxp.hub.v1.SendResponse)",
			"content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}),
	}
}

func deliveryOperation() obj {
	return obj{
		"operationId": "getDelivery",
		"summary":     "The state of a delivery the caller sent",
		"parameters": []obj{
			{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string"}},
			{"name": wire.HeaderConsumer, "in": "header", "required": false, "schema": obj{"type": "string"}},
		},
		"responses": withErrors(obj{"200": obj{"description": "the delivery (ndxp.hub.v1.Delivery)",
			"content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}),
	}
}

func allowedOperation() obj {
	return obj{
		"operationId": "listAllowed",
		"summary":     "The services the caller may call (its grants)",
		"parameters": []obj{
			{"name": "consumer", "in": "query", "required": false, "schema": obj{"type": "string"}, "description": "the operator (or an insecure hub) names the consumer"},
		},
		"responses": withErrors(obj{"200": obj{"description": "ndxp.hub.v1.ListAllowedResponse",
			"content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}),
	}
}

// schemas builds JSON Schemas of protobuf messages into defs, one per
// message, referenced by its full name.
type schemas struct {
	types *API
	defs  obj
}

func (s *schemas) ref(name string) obj {
	if name == "" {
		return obj{"type": "object"}
	}
	mt, err := s.types.cfg.Types.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return obj{"type": "object", "description": fmt.Sprintf("%s (a type the hub does not know)", name)}
	}
	return s.message(mt.Descriptor())
}

// message is the schema of md, or a reference to it in defs.
func (s *schemas) message(md protoreflect.MessageDescriptor) obj {
	if wk, ok := wellKnown(md.FullName()); ok {
		return wk
	}
	name := string(md.FullName())
	ref := obj{"$ref": "#/components/schemas/" + name}
	if _, ok := s.defs[name]; ok {
		return ref
	}
	props := obj{}
	s.defs[name] = obj{"type": "object", "properties": props} // before fields: recursion
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		props[fd.JSONName()] = s.field(fd)
	}
	return ref
}

func (s *schemas) field(fd protoreflect.FieldDescriptor) obj {
	switch {
	case fd.IsMap():
		return obj{"type": "object", "additionalProperties": s.single(fd.MapValue())}
	case fd.IsList():
		return obj{"type": "array", "items": s.single(fd)}
	}
	return s.single(fd)
}

// single is the schema of one value of fd.
func (s *schemas) single(fd protoreflect.FieldDescriptor) obj {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return obj{"type": "boolean"}
	case protoreflect.StringKind:
		return obj{"type": "string"}
	case protoreflect.BytesKind:
		return obj{"type": "string", "contentEncoding": "base64"}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return obj{"type": "integer", "format": "int32"}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return obj{"type": "integer", "minimum": 0}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		// protobuf JSON writes 64-bit integers as strings, reads both.
		return obj{"type": []string{"string", "integer"}, "format": "int64"}
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return obj{"type": "number"}
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		names := make([]string, vals.Len())
		for i := range vals.Len() {
			names[i] = string(vals.Get(i).Name())
		}
		sort.Strings(names)
		return obj{"type": "string", "enum": names}
	}
	return s.message(fd.Message())
}

// wellKnown is the JSON form of the well-known types protobuf JSON writes
// specially.
func wellKnown(name protoreflect.FullName) (obj, bool) {
	switch name {
	case "google.protobuf.Timestamp":
		return obj{"type": "string", "format": "date-time"}, true
	case "google.protobuf.Duration":
		return obj{"type": "string", "description": "seconds with an s suffix, e.g. 1.5s"}, true
	case "google.protobuf.Any", "google.protobuf.Struct", "google.protobuf.Empty":
		return obj{"type": "object"}, true
	case "google.protobuf.Value":
		return obj{}, true
	case "google.protobuf.ListValue":
		return obj{"type": "array"}, true
	case "google.protobuf.FieldMask", "google.protobuf.StringValue", "google.protobuf.BytesValue":
		return obj{"type": "string"}, true
	case "google.protobuf.BoolValue":
		return obj{"type": "boolean"}, true
	case "google.protobuf.Int32Value", "google.protobuf.UInt32Value":
		return obj{"type": "integer"}, true
	case "google.protobuf.Int64Value", "google.protobuf.UInt64Value":
		return obj{"type": []string{"string", "integer"}}, true
	case "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
		return obj{"type": "number"}, true
	}
	return nil, false
}
