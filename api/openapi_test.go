package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/stageindex/stageindex/web"
)

// pages mounts the web pages over searcher.
func pages(t *testing.T, searcher Searcher) func(*fiber.App) {
	site, err := web.New(web.Options{Searcher: searcher, TilesURL: web.DefaultTilesURL})
	if err != nil {
		t.Fatal(err)
	}
	return site.Mount
}

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json does not validate: %v", err)
	}
	return doc
}

// TestOpenAPIExamplesValidate checks every example response against its
// schema (Validate does too; this says which one fails).
func TestOpenAPIExamplesValidate(t *testing.T) {
	doc := loadDoc(t)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				for ctype, mt := range resp.Value.Content {
					if mt.Example == nil || mt.Schema == nil {
						continue
					}
					n++
					if err := mt.Schema.Value.VisitJSON(mt.Example); err != nil {
						t.Errorf("%s %s %s %s: the example does not fit its schema: %v", method, path, status, ctype, err)
					}
				}
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d example responses", n)
	}
}

// TestOpenAPICoversEveryRoute compares the app's routes with the paths of
// the document, both ways.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadDoc(t)
	s := serverWith(t, func(o *Options) { o.Static = pages(t, o.Searcher) })
	param := regexp.MustCompile(`:(\w+)`)
	served := map[string]bool{}
	for _, r := range s.App().GetRoutes(true) {
		if r.Method != http.MethodGet || r.Path == "/" && len(r.Handlers) > 1 {
			continue
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		served[p] = true
		if doc.Paths.Find(p) == nil {
			t.Errorf("the app answers GET %s, the document does not describe it", p)
		}
	}
	for p := range doc.Paths.Map() {
		if !served[p] {
			t.Errorf("the document describes %s, the app has no such route", p)
		}
	}
}

// TestOpenAPICoversEveryParameter reads the parameter names the handlers
// read (a.one("q"), a.many("track"), oneOf(a, "sort", …)) from the source
// and requires each on the operations that read it.
func TestOpenAPICoversEveryParameter(t *testing.T) {
	doc := loadDoc(t)
	read := map[string][]string{} // function → parameter names
	fset := token.NewFileSet()
	for _, file := range []string{"params.go", "handlers.go", "export.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				var args []ast.Expr
				switch f := call.Fun.(type) {
				case *ast.SelectorExpr:
					if id, ok := f.X.(*ast.Ident); ok && id.Name == "a" {
						name, args = f.Sel.Name, call.Args
					}
				case *ast.Ident:
					if f.Name == "oneOf" && len(call.Args) > 1 {
						name, args = "oneOf", call.Args[1:]
					}
				}
				if name == "" || len(args) == 0 {
					return true
				}
				if lit, ok := args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					read[fn.Name.Name] = append(read[fn.Name.Name], v)
				}
				return true
			})
		}
	}
	uses := map[string][]string{
		"parseSearch": {"/api/v1/offers", "/api/v1/offers/export", "/api/v1/stats/export"},
		"shortQuery":  {"/api/v1/places", "/api/v1/suggest"},
		"parseExport": {"/api/v1/offers/export", "/api/v1/stats/export"},
	}
	for fn, paths := range uses {
		if len(read[fn]) == 0 {
			t.Fatalf("found no parameter read in %s: the source walk is broken", fn)
		}
		for _, path := range paths {
			item := doc.Paths.Find(path)
			if item == nil || item.Get == nil {
				t.Errorf("GET %s is not in the document", path)
				continue
			}
			op := item.Get
			for _, name := range read[fn] {
				if (name == "page" || name == "per_page") && strings.HasSuffix(path, "/export") {
					continue // refused by exports, and documented as such
				}
				if op.Parameters.GetByInAndName("query", name) == nil {
					t.Errorf("%s reads %s, GET %s does not document it", fn, name, path)
				}
			}
		}
	}
}

// TestRealResponsesMatchTheDocument sends requests to a server and
// validates request and response against the document.
func TestRealResponsesMatchTheDocument(t *testing.T) {
	doc := loadDoc(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	keys := keyTable{"good": {Name: "p", Rate: 100, Burst: 100, Departments: []string{"22"}}}
	s := serverWith(t, func(o *Options) {
		o.Keys = keys
		o.Static = pages(t, o.Searcher)
		o.Limits = Limits{Rate: 1000, Burst: 1000}
	})
	limited := serverWith(t, func(o *Options) { o.Limits = Limits{Rate: 0.01, Burst: 1} })
	_, body := do(t, s, "/api/v1/offers?per_page=1")
	var first struct{ Hits []struct{ ID string } }
	json.Unmarshal(body, &first)
	if len(first.Hits) == 0 {
		t.Fatal("no offer")
	}
	tests := []struct {
		target  string
		headers []string
		status  int
		srv     *Server
	}{
		{"/api/v1/offers?q=boulanger&where=22000&radius_km=30&track=generale&track=segpa", nil, 200, s},
		{"/api/v1/offers?where=Bretagne&sort=date", nil, 200, s},
		{"/api/v1/offers?q=zzzzzzqqq&where=22000", nil, 200, s},
		{"/api/v1/offers?lat=48.5&lng=-2.7&radius_km=5", []string{"Authorization: Bearer good"}, 200, s},
		{"/api/v1/offers?radius_km=99&lat=48&lng=2", []string{"Accept-Language: en"}, 400, s},
		{"/api/v1/offers?where=saint-denis", nil, 400, s},
		{"/api/v1/offers/" + first.Hits[0].ID, nil, 200, s},
		{"/api/v1/offers/nope", nil, 404, s},
		{"/api/v1/places?q=saint-br", nil, 200, s},
		{"/api/v1/places?q=x", nil, 400, s},
		{"/api/v1/suggest?q=boul&limit=5", nil, 200, s},
		{"/api/v1/stats", nil, 200, s},
		{"/api/v1/stats", []string{"Authorization: Bearer wrong"}, 401, s},
		{"/api/v1/offers/export?format=csv&where=22000", nil, 200, s},
		{"/api/v1/offers/export?format=jsonl&department=22", nil, 200, s},
		{"/api/v1/offers/export?format=xlsx&q=boulanger", nil, 200, s},
		{"/api/v1/stats/export?format=csv", nil, 200, s},
		{"/api/v1/stats/export?format=xlsx", nil, 200, s},
		{"/api/v1/openapi.json", nil, 200, s},
		{"/healthz", nil, 200, s},
		{"/readyz", nil, 200, s},
		{"/metrics", nil, 200, s},
		{"/", nil, 200, s},
		{"/offres/" + first.Hits[0].ID, nil, 200, s},
		{"/offres/nope", nil, 404, s},
		{"/statistiques?department=22", nil, 200, s},
		{"/statistiques?department=999", nil, 400, s},
		{"/mentions-legales", nil, 200, s},
		{"/favicon.ico", nil, 200, s},
		{"/api/v1/stats", nil, 200, limited},
		{"/api/v1/stats", nil, 429, limited},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.target, nil)
			for _, h := range tc.headers {
				k, v, _ := strings.Cut(h, ": ")
				req.Header.Set(k, v)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("no route in the document: %v", err)
			}
			opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
			if tc.status < 400 {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("request: %v", err)
				}
			}
			resp, body := do(t, tc.srv, tc.target, tc.headers...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.status, body)
			}
			ctype := resp.Header.Get("Content-Type")
			check := body
			switch {
			case strings.HasPrefix(ctype, "application/x-ndjson"):
				// One Offer per line: each is checked against the schema.
				schema := doc.Components.Schemas["Offer"].Value
				sc := bufio.NewScanner(bytes.NewReader(body))
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					var v any
					json.Unmarshal(sc.Bytes(), &v)
					if err := schema.VisitJSON(v); err != nil {
						t.Fatalf("line %s: %v", sc.Bytes(), err)
					}
				}
				opts.ExcludeResponseBody = true
			case strings.HasPrefix(ctype, "application/vnd.openxmlformats"), strings.HasPrefix(ctype, "text/html"), strings.HasPrefix(ctype, "text/csv"),
				strings.HasPrefix(ctype, "image/svg+xml"):
				opts.ExcludeResponseBody = true
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Body: io.NopCloser(bytes.NewReader(check)), Options: opts}
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("response: %v", err)
			}
		})
	}
}
