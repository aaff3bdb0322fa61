package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/stageindex/stageindex"
)

// TestEveryCodeHasItsMessages reads the ParamCode constants of errors.go:
// a code added there without its French and English words fails here.
func TestEveryCodeHasItsMessages(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok || vs.Type == nil || len(vs.Values) != 1 {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "ParamCode" {
			return true
		}
		lit := vs.Values[0].(*ast.BasicLit)
		code := stageindex.ParamCode(strings.Trim(lit.Value, `"`))
		n++
		m, ok := paramMessages[code]
		if !ok {
			t.Errorf("code %s has no messages in paramMessages", code)
			return true
		}
		full := msgArgs{"value": "x", "min": 1, "max": 2, "allowed": "a, b", "with": "lat", "seconds": 3, "date": "2027-01-01"}
		if fr, en := m[fr](full), m[en](full); fr == "" || en == "" || fr == en || strings.Contains(fr+en, "%!") {
			t.Errorf("code %s: fr %q, en %q", code, fr, en)
		}
		return true
	})
	if n < 25 {
		t.Fatalf("found %d ParamCodes in errors.go: the parse missed them", n)
	}
}

func TestMessagesFollowAcceptLanguage(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		query   string
		param   string
		french  string // a part of the French message
		english string
	}{
		{"radius_km=61&lat=48&lng=2", "radius_km", "doit être compris entre 0 et 60", "must be between 0 and 60"},
		{"lat=48", "lng", "est requis avec lat", "is required with lat"},
		{"track=college", "track", "« college » doit être l'une de ces valeurs : generale, segpa, prepa_metiers", `"college" must be one of generale, segpa, prepa_metiers`},
		{"week=2027-W53", "week", "« 2027-W53 » n'est pas une semaine ISO", `"2027-W53" is not an ISO week`},
		{"where=zzzzqqqq", "where", "« zzzzqqqq » n'est ni une commune", `"zzzzqqqq" is no known town`},
		{"page=501&per_page=20", "page", "ne doit pas dépasser 10000", "must not exceed 10000"},
		{"per_page=abc", "per_page", "doit être un nombre entier", "must be a whole number"},
		{"q=a&q=b", "q", "ne doit être donné qu'une fois", "must be given once"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			for _, lc := range []struct {
				header, lang, want, title string
			}{
				{"", "fr", tc.french, "Requête invalide"},
				{"Accept-Language: de-DE", "fr", tc.french, "Requête invalide"},
				{"Accept-Language: en-GB,en;q=0.8", "en", tc.english, "Invalid request"},
				{"Accept-Language: en;q=0.5, fr;q=0.9", "fr", tc.french, "Requête invalide"},
			} {
				var headers []string
				if lc.header != "" {
					headers = append(headers, lc.header)
				}
				resp, body := do(t, s, "/api/v1/offers?"+tc.query, headers...)
				var p struct {
					problem
					Detail string `json:"detail"`
				}
				json.Unmarshal(body, &p)
				if resp.StatusCode != 400 || resp.Header.Get("Content-Language") != lc.lang || p.Title != lc.title {
					t.Errorf("%q: %d %s, title %q", lc.header, resp.StatusCode, resp.Header.Get("Content-Language"), p.Title)
				}
				found := false
				for _, e := range p.Errors {
					if e.Param == tc.param {
						found = true
						if !strings.Contains(e.Message, lc.want) {
							t.Errorf("%q: message %q, want %q in it", lc.header, e.Message, lc.want)
						}
					}
				}
				if !found {
					t.Errorf("%q: no error on %s: %s", lc.header, tc.param, body)
				}
			}
		})
	}
}

func TestProblemTitlesAndDetailsInFrench(t *testing.T) {
	// One token: the first request takes it, the last one is refused.
	s := serverWith(t, func(o *Options) { o.Limits = Limits{Rate: 0.01, Burst: 1} })
	tests := []struct {
		path, header  string
		status        int
		title, detail string
	}{
		{"/api/v1/offers/nope", "", 404, "Introuvable", "Aucune offre ne porte cet identifiant."},
		{"/nowhere", "", 404, "Introuvable", "Rien à cette adresse."},
		{"/api/v1/stats", "Authorization: Bearer x", 401, "Clé partenaire invalide", "La clé partenaire n'est pas valide : voir errors."},
		{"/api/v1/stats", "", 429, "Trop de requêtes", "Trop de requêtes : attendez le délai de Retry-After."},
	}
	for _, tc := range tests {
		var h []string
		if tc.header != "" {
			h = append(h, tc.header)
		}
		resp, body := do(t, s, tc.path, h...)
		var p map[string]any
		json.Unmarshal(body, &p)
		if resp.StatusCode != tc.status || p["title"] != tc.title || p["detail"] != tc.detail {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, body)
		}
		if tc.status == 429 && !strings.Contains(string(body), "réessayez dans") {
			t.Errorf("429 errors[] not in French: %s", body)
		}
	}
}
