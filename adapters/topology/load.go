package topology

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File formats accepted by Parse and Marshal.
const (
	// FormatYAML is YAML ("yml" is accepted as a synonym).
	FormatYAML = "yaml"
	// FormatJSON is JSON.
	FormatJSON = "json"
)

// FormatFor returns the format of a file from its extension: .yaml or .yml
// for YAML, .json for JSON (any case).
func FormatFor(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".yaml", ".yml":
		return FormatYAML, nil
	case ".json":
		return FormatJSON, nil
	default:
		return "", fmt.Errorf("%w %q of %s: want .yaml, .yml or .json", ErrFormat, ext, path)
	}
}

// Load reads, parses and validates a topology file, its format chosen by
// FormatFor. Errors are prefixed with the path.
func Load(path string) (*Topology, error) {
	format, err := FormatFor(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	t, err := Parse(data, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse decodes a topology file in format ("yaml", "yml" or "json") and
// validates it. Decoding is strict: unknown fields, trailing documents and
// duplicate YAML keys are errors wrapping ErrDecode (YAML ones give the
// line); invalid content gives Validate's errors.
func Parse(data []byte, format string) (*Topology, error) {
	var f fileTopology
	var err error
	switch strings.ToLower(format) {
	case FormatYAML, "yml":
		err = decodeYAML(data, &f)
	case FormatJSON:
		err = decodeJSON(data, &f)
	default:
		return nil, fmt.Errorf("%w %q: want %s or %s", ErrFormat, format, FormatYAML, FormatJSON)
	}
	if err != nil {
		return nil, err
	}
	t, err := f.topology()
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

func decodeYAML(data []byte, f *fileTopology) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil && err != io.EOF {
		return fmt.Errorf("%w yaml: %w", ErrDecode, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("%w yaml: want a single document", ErrDecode)
	}
	return nil
}

func decodeJSON(data []byte, f *fileTopology) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return fmt.Errorf("%w json: %s%w", ErrDecode, jsonLine(data, err), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w json: want a single value", ErrDecode)
	}
	return nil
}

// jsonLine returns "line N: " for JSON errors that carry an offset.
func jsonLine(data []byte, err error) string {
	var off int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return ""
	}
	off = min(max(off, 0), int64(len(data)))
	return fmt.Sprintf("line %d: ", 1+bytes.Count(data[:off], []byte("\n")))
}

// Marshal validates t and encodes it in format ("yaml", "yml" or "json"),
// the form Parse reads back.
func (t *Topology) Marshal(format string) ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	f := toFile(t)
	var buf bytes.Buffer
	switch strings.ToLower(format) {
	case FormatYAML, "yml":
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(f); err != nil {
			return nil, fmt.Errorf("topology: encode yaml: %w", err)
		}
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("topology: encode yaml: %w", err)
		}
	case FormatJSON:
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(f); err != nil {
			return nil, fmt.Errorf("topology: encode json: %w", err)
		}
	default:
		return nil, fmt.Errorf("%w %q: want %s or %s", ErrFormat, format, FormatYAML, FormatJSON)
	}
	return buf.Bytes(), nil
}
