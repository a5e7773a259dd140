package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// ndxp prints JSON in one style, whatever the command (--json) and
// whether the data is a gRPC message or a report of the CLI's own:
//
//   - field names as in the .proto files and the Go report structs
//     (snake_case), every field present, zero or not;
//   - 64-bit integers as JSON numbers (protojson writes them as strings:
//     the counts here stay far below 2^53, and jq can add numbers);
//   - enums by name, timestamps in RFC 3339, Any with its "@type";
//   - fields in .proto order, two-space indentation, stable spacing
//     (protojson varies its spacing on purpose); JSON Lines (one compact
//     value a line) for streams such as `records --json`.

// writeJSON writes v, a proto.Message or any value encoding/json takes,
// indented, followed by a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := jsonBytes(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// writeJSONLine writes v compact on one line (JSON Lines).
func writeJSONLine(w io.Writer, v any) error {
	b, err := jsonBytes(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// jsonBytes encodes v compactly in ndxp's style.
func jsonBytes(v any) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return json.Marshal(v)
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("re-reading protojson: %w", err)
	}
	return json.Marshal(restyle(m.ProtoReflect().Descriptor(), tree))
}

// object is a JSON object that keeps its keys in order.
type object struct {
	keys []string
	vals map[string]any
}

// MarshalJSON implements json.Marshaler.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// restyle walks protojson's output for a message of type md: 64-bit
// integers become numbers and fields take their .proto order.
func restyle(md protoreflect.MessageDescriptor, v any) any {
	obj, ok := v.(map[string]any)
	if !ok || strings.HasPrefix(string(md.FullName()), "google.protobuf.") && md.FullName() != "google.protobuf.Any" {
		return v
	}
	if md.FullName() == "google.protobuf.Any" {
		url, _ := obj["@type"].(string)
		mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
		if err != nil {
			return v
		}
		md = mt.Descriptor()
		if strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
			return v
		}
	}
	out := object{vals: obj}
	order := map[string]int{}
	for k, val := range obj {
		out.keys = append(out.keys, k)
		fd := md.Fields().ByName(protoreflect.Name(k))
		if fd == nil {
			fd = md.Fields().ByJSONName(k)
		}
		if fd == nil {
			order[k] = -1 // "@type" first
			continue
		}
		order[k] = fd.Index()
		obj[k] = restyleField(fd, val)
	}
	slices.SortFunc(out.keys, func(a, b string) int { return order[a] - order[b] })
	return out
}

func restyleField(fd protoreflect.FieldDescriptor, v any) any {
	switch {
	case fd.IsMap():
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				m[k] = restyleValue(fd.MapValue(), x)
			}
		}
	case fd.IsList():
		if l, ok := v.([]any); ok {
			for i, x := range l {
				l[i] = restyleValue(fd, x)
			}
		}
	default:
		return restyleValue(fd, v)
	}
	return v
}

func restyleValue(fd protoreflect.FieldDescriptor, v any) any {
	switch fd.Kind() {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if s, ok := v.(string); ok {
			return json.Number(s)
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Int64Value", "google.protobuf.UInt64Value":
			if s, ok := v.(string); ok {
				return json.Number(s)
			}
			return v
		}
		return restyle(fd.Message(), v)
	}
	return v
}
