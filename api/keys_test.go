package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stageindex/stageindex"
)

// keyTable is a fixed set of keys; the keys package holds the real ones,
// tested on PostgreSQL.
type keyTable map[string]stageindex.Partner

func (k keyTable) Lookup(key string) (stageindex.Partner, error) {
	switch p, ok := k[key]; {
	case key == "revoked":
		return p, &stageindex.Error{Code: stageindex.EUNAUTHORIZED, Message: "revoked",
			Params: []stageindex.ParamError{{Param: "Authorization", Code: stageindex.CodeRevokedKey, Message: "was revoked"}}}
	case !ok:
		return p, keyError(stageindex.CodeInvalidKey, "is not a partner key", "")
	default:
		return p, nil
	}
}

func TestPartnerKeys(t *testing.T) {
	keys := keyTable{
		"k22":  {Name: "onstage", Rate: 1, Burst: 2, Departments: []string{"22"}},
		"kall": {Name: "national", Rate: 1000, Burst: 1000},
	}
	s := serverWith(t, func(o *Options) { o.Keys = keys; o.Limits = Limits{Rate: 0.01, Burst: 1} })
	auth := func(k string) string { return "Authorization: Bearer " + k }

	// Scope: whatever the parameters, only département 22.
	for _, q := range []string{"", "department=35", "remote=include", "where=rennes&radius_km=60"} {
		resp, body := do(t, serverWith(t, func(o *Options) { o.Keys = keys; o.Limits = Limits{Rate: -1} }), "/api/v1/offers?per_page=100&"+q, auth("k22"))
		var res stageindex.SearchResult
		json.Unmarshal(body, &res)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, resp.StatusCode, body)
		}
		for _, h := range append(res.Hits, relaxedHits(res)...) {
			if h.Department != "22" {
				t.Errorf("%s: hit %s of department %q", q, h.ID, h.Department)
			}
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
			t.Errorf("a partner's answer has Cache-Control %q", cc)
		}
	}
	// An offer of another département is not found.
	_, body := do(t, newTestServer(t), "/api/v1/offers?department=35&per_page=1")
	var res stageindex.SearchResult
	json.Unmarshal(body, &res)
	if len(res.Hits) == 0 {
		t.Fatal("no offer in 35 to test with")
	}
	other := res.Hits[0].ID
	if resp, _ := do(t, s, "/api/v1/offers/"+other, auth("k22")); resp.StatusCode != 404 {
		t.Errorf("offer %s of 35 with a key for 22: %d", other, resp.StatusCode)
	}
	if resp, _ := do(t, s, "/api/v1/offers/"+other, auth("kall")); resp.StatusCode != 200 {
		t.Errorf("offer %s with an unscoped key: %d", other, resp.StatusCode)
	}
	_, sbody := do(t, s, "/api/v1/stats", auth("kall"))
	var st stageindex.Stats
	json.Unmarshal(sbody, &st)
	if len(st.Departments) < 2 {
		t.Fatalf("unscoped stats: %s", sbody)
	}

	// Own quota: the anonymous bucket (burst 1) is spent; keys have theirs.
	do(t, s, "/api/v1/stats")
	if resp, _ := do(t, s, "/api/v1/stats"); resp.StatusCode != 429 {
		t.Errorf("anonymous over its burst: %d", resp.StatusCode)
	}
	// The key's first token went to the offer above.
	resp, sbody := do(t, s, "/api/v1/stats", auth("k22"))
	st = stageindex.Stats{}
	json.Unmarshal(sbody, &st)
	if resp.StatusCode != 200 || len(st.Departments) != 1 || st.Departments["22"] != st.Offers {
		t.Errorf("scoped stats: %d %s", resp.StatusCode, sbody)
	}
	if got := resp.Header.Get("RateLimit-Policy"); got != `"key";q=2;w=2` {
		t.Errorf("a key's RateLimit-Policy %q", got)
	}
	if resp, _ := do(t, s, "/api/v1/stats", auth("k22")); resp.StatusCode != 429 {
		t.Errorf("key over its burst of 2: %d", resp.StatusCode)
	}

	// A key that grants nothing is a 401, never an anonymous answer.
	for _, tc := range []struct {
		header string
		code   stageindex.ParamCode
	}{
		{auth("nope"), stageindex.CodeInvalidKey},
		{auth("revoked"), stageindex.CodeRevokedKey},
		{"Authorization: Basic dXNlcjpwYXNz", stageindex.CodeInvalidKey},
		{"Authorization: Bearer", stageindex.CodeInvalidKey},
	} {
		resp, body := do(t, s, "/api/v1/stats", tc.header)
		var p problem
		json.Unmarshal(body, &p)
		if resp.StatusCode != 401 || len(p.Errors) != 1 || p.Errors[0].Code != tc.code || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %s", tc.header, resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, newTestServer(t), "/api/v1/stats", auth("k22")); resp.StatusCode != 401 {
		t.Errorf("a key on a server without keys (demo): %d", resp.StatusCode)
	}
	_, metrics := do(t, s, "/metrics")
	for _, want := range []string{`stageindex_partner_requests_total{key="onstage"}`, `stageindex_auth_failures_total{reason="revoked_key"} 1`, `stageindex_rate_limited_total{bucket="key"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func relaxedHits(res stageindex.SearchResult) []stageindex.Hit {
	if res.Relaxed == nil {
		return nil
	}
	return res.Relaxed.Hits
}
