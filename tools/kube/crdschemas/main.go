// Command crdschemas writes strict JSON schemas for kubeconform from the
// prometheus-operator CRDs embedded in the operator module this module pins
// (github.com/prometheus-operator/prometheus-operator/example, the CRDs of
// example/prometheus-operator-crd/, the ones kube-prometheus-stack's crds
// subchart ships for the same operator version).
//
// It does what kubeconform's scripts/openapi2jsonschema.py does with
// DENY_ROOT_ADDITIONAL_PROPERTIES set: every object schema that lists
// properties gets additionalProperties: false unless it says otherwise (so
// an unknown or misspelt field is an error, the root included), and
// int-or-string formats become oneOf string/integer. One file per CRD
// version, named <kind>_<version>.json in lower case, which kubeconform
// finds with -schema-location 'DIR/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'.
// Output is deterministic (encoding/json sorts keys).
//
// Usage: go run ./crdschemas DIR
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	crd "github.com/prometheus-operator/prometheus-operator/example"
	"sigs.k8s.io/yaml"
)

type crdDoc struct {
	Kind string `json:"kind"`
	Spec struct {
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdschemas DIR")
		os.Exit(64)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crdschemas:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	var all bytes.Buffer
	if err := crd.PrintAll(&all); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	n := 0
	for _, doc := range strings.Split(all.String(), "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var c crdDoc
		if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
			return err
		}
		if c.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range c.Spec.Versions {
			schema := strict(v.Schema.OpenAPIV3Schema).(map[string]any)
			data, err := json.MarshalIndent(schema, "", "  ")
			if err != nil {
				return err
			}
			name := strings.ToLower(c.Spec.Names.Kind + "_" + v.Name + ".json")
			if err := os.WriteFile(filepath.Join(dir, name), append(data, '\n'), 0o644); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no CRD found in the operator module")
	}
	return nil
}

// strict recreates kubectl's validation (openapi2jsonschema.py's
// additional_properties and replace_int_or_string).
func strict(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x["format"] == "int-or-string" {
			return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
		}
		out := make(map[string]any, len(x)+1)
		for k, e := range x {
			out[k] = strict(e)
		}
		if _, ok := x["properties"]; ok {
			if _, set := x["additionalProperties"]; !set {
				out["additionalProperties"] = false
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = strict(e)
		}
		return out
	}
	return v
}
