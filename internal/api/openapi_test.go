package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

type openapiDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]openapiOp `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
		Parameters map[string]openapiParam `json:"parameters"`
	} `json:"components"`
}

type openapiOp struct {
	OperationID string            `json:"operationId"`
	Parameters  []openapiParam    `json:"parameters"`
	Responses   map[string]any    `json:"responses"`
	Security    *[]map[string]any `json:"security"`
}

type openapiParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

func loadOpenAPI(t *testing.T) openapiDoc {
	t.Helper()
	var doc openapiDoc
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

func TestOpenAPI_Document(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("info lacks a title or version: %+v", doc.Info)
	}
	if b := doc.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("securitySchemes.bearer is %+v, want http bearer", b)
	}
	if len(doc.Paths) == 0 {
		t.Error("no paths")
	}
}

// TestOpenAPI_MatchesRoutes keeps the document true: the same paths and
// methods as the route table, the same path parameters, unique operation ids,
// and no security only on the public routes.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	var inCode, inDoc []string
	for _, rt := range (&server{}).routes() {
		key := rt.method + " " + rt.pattern
		inCode = append(inCode, key)
		op, ok := doc.Paths[rt.pattern][strings.ToLower(rt.method)]
		if !ok {
			continue // reported below
		}
		var params []string
		for _, p := range op.Parameters {
			if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
				if p, ok = doc.Components.Parameters[name]; !ok {
					t.Errorf("%s: parameter %s is not in components", key, name)
				}
			}
			if p.In == "path" {
				params = append(params, p.Name)
			}
		}
		var want []string
		for _, m := range wildcard.FindAllStringSubmatch(rt.pattern, -1) {
			want = append(want, m[1])
		}
		slices.Sort(params)
		slices.Sort(want)
		if !slices.Equal(params, want) {
			t.Errorf("%s: document's path parameters %v, route's %v", key, params, want)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.access == "") {
			t.Errorf("%s: public in the document %v, in code %v", key, public, rt.access == "")
		}
		if _, ok := op.Responses["200"]; !ok {
			if _, ok := op.Responses["201"]; !ok {
				t.Errorf("%s: no success response documented", key)
			}
		}
	}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			inDoc = append(inDoc, strings.ToUpper(method)+" "+path)
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
		}
	}
	slices.Sort(inCode)
	slices.Sort(inDoc)
	for _, k := range inCode {
		if !slices.Contains(inDoc, k) {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for _, k := range inDoc {
		if !slices.Contains(inCode, k) {
			t.Errorf("openapi.json documents %s, which no route serves", k)
		}
	}
}
