package geo

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stageindex/stageindex"
)

// HomonymRatio is how many times more populous than the next homonym a
// commune must be for a bare name to resolve to it: "Valence" is Valence
// (26), 12 times Valence (82); "Saint-Denis" (93 and 974, about equal) is
// ambiguous and needs a department.
const HomonymRatio = 10

// maxCandidates is how many places an ambiguous or unknown `where` suggests.
const maxCandidates = 5

// maxWhereLen bounds the work done on hostile input.
const maxWhereLen = 200

// Resolve turns a `where` parameter into a place: a postcode (the commune
// whose own postcode it is, else the most populous, the others in Others),
// an INSEE code, a Paris, Lyon or Marseille arrondissement ("Paris 11e",
// "Lyon 3", "Marseille 13008") or a town name, optionally with a
// department ("Saint-Denis (974)", "saint denis 93") or a postcode; or an
// area: a département ("Finistère", "Finistère (29)", "29"), a région
// ("Bretagne", "ile de france") or the whole country ("France", "toute la
// France"). An unknown or ambiguous place is a *stageindex.Error
// (EINVALID) whose "where" parameter lists up to 5 candidates; Resolve
// never guesses between homonyms unless one is HomonymRatio times the next.
func (g *Gazetteer) Resolve(where string) (stageindex.Place, error) {
	return g.resolve(where, false)
}

// resolve is Resolve; quiet skips the search for candidates of an unknown
// name (the costly part of a miss), for PlaceInQuery's attempts.
func (g *Gazetteer) resolve(where string, quiet bool) (stageindex.Place, error) {
	s := strings.TrimSpace(where)
	switch {
	case s == "":
		return stageindex.Place{}, whereError(stageindex.CodeUnknownPlace, "must name a town, a postcode, a département or a région", nil)
	case len(s) > maxWhereLen:
		return stageindex.Place{}, whereError(stageindex.CodeTooLong, fmt.Sprintf("must be at most %d characters", maxWhereLen), nil)
	}
	if up := strings.ToUpper(s); isINSEE(up) {
		return g.resolveCode(up)
	}
	if p, ok := g.departmentByCode(s); ok {
		return p, nil
	}
	q, ok := g.parseName(s)
	if !ok {
		return stageindex.Place{}, whereError(stageindex.CodeUnknownPlace, fmt.Sprintf("%q: the part in parentheses is not a department or a postcode", s), nil)
	}
	if q.key == "" {
		if q.postcode != "" {
			return g.resolveCode(q.postcode)
		}
		return stageindex.Place{}, whereError(stageindex.CodeUnknownPlace, fmt.Sprintf("%q names no town", s), nil)
	}
	return g.resolveName(s, q, quiet)
}

// resolveName resolves a parsed name: an arrondissement, an area, a
// commune.
func (g *Gazetteer) resolveName(s string, q query, quiet bool) (stageindex.Place, error) {
	if code, isArr := arrondissement(q.key); isArr {
		if id, found := g.byINSEE[code]; found {
			return g.place(id, q.postcode), nil
		}
		city := strings.Fields(q.key)[0]
		return stageindex.Place{}, whereError(stageindex.CodeUnknownPlace, fmt.Sprintf("%q: no such arrondissement", s), g.complete(city, nil, maxCandidates))
	}
	ids := g.lookupName(q)
	if ai, core, isArea := g.areaOf(q.key); isArea {
		if core != q.key {
			// "de paris", "en vienne": the communes of the name proper.
			cq := q
			cq.key = core
			ids = g.lookupName(cq)
		}
		switch {
		case q.dept != "":
			// "Finistère (29)", "La Réunion (974)"; not "Paris (75)".
			if di, ok := g.areaByCode[areaCode(stageindex.PlaceDepartment, q.dept)]; ok && g.namesArea(di, core) &&
				(len(ids) == 0 || 2*g.communes[ids[0]].pop < g.areas[di].pop) {
				return g.areaPlace(di), nil
			}
		case q.postcode == "":
			p, ok, err := g.resolveArea(ai, ids, s)
			if ok || err != nil {
				return p, err
			}
		}
		// Otherwise the commune: "La Réunion (47)", "Paris".
	}
	switch {
	case len(ids) == 1, len(ids) > 1 && g.communes[ids[0]].pop >= HomonymRatio*g.communes[ids[1]].pop:
		if q.dept == "" && q.postcode == "" && g.onlyAStart(q, ids[0]) {
			msg := fmt.Sprintf("%q is the start of many names: choose one", s)
			return stageindex.Place{}, whereError(stageindex.CodeAmbiguousPlace, msg, g.startCandidates(q.key, ids[0]))
		}
		return g.place(g.arrondissementOf(ids[0], q.postcode), q.postcode), nil
	case len(ids) > 1:
		c := &g.communes[ids[0]]
		msg := fmt.Sprintf("%q is ambiguous: add the department, e.g. \"%s\"", s, g.communeLabel(c))
		return stageindex.Place{}, whereError(stageindex.CodeAmbiguousPlace, msg, g.places(ids, maxCandidates))
	}
	msg := fmt.Sprintf("unknown place %q", s)
	if quiet {
		return stageindex.Place{}, whereError(stageindex.CodeUnknownPlace, msg, nil)
	}
	return stageindex.Place{}, whereError(stageindex.CodeUnknownPlace, msg, g.suggest(q, maxCandidates))
}

// arrondissementOf narrows Paris, Lyon or Marseille to the arrondissement
// of a postcode given with the name ("Marseille 13008", "69003 Lyon").
func (g *Gazetteer) arrondissementOf(id int32, postcode string) int32 {
	if postcode == "" {
		return id
	}
	for _, ch := range g.communes[id].children {
		if g.communes[ch].ownsPostcode(postcode) {
			return ch
		}
	}
	return id
}

// onlyAStart reports whether q.key, as whole words, starts the name of a
// more populous commune than id: "Saint" is Le Saint (56) only to a
// machine, a pupil who types it is on the way to Saint-Something; "Aix"
// (Corrèze, 352 inhabitants) and "Clermont" (Oise) are more often the
// start of Aix-en-Provence and Clermont-Ferrand.
func (g *Gazetteer) onlyAStart(q query, id int32) bool {
	c := &g.communes[id]
	start := q.key + " "
	i, _ := slices.BinarySearchFunc(g.prefix, start, func(e prefixEntry, k string) int { return cmp.Compare(e.key, k) })
	for ; i < len(g.prefix) && strings.HasPrefix(g.prefix[i].key, start); i++ {
		if e := &g.prefix[i]; e.tier == tierName && g.communes[e.id].pop > c.pop && g.accepts(e.id, q) {
			return true
		}
	}
	return false
}

// startCandidates lists the commune found for a bare start of names and
// the most populous of the names it starts.
func (g *Gazetteer) startCandidates(key string, id int32) []stageindex.Place {
	out := []stageindex.Place{g.place(id, "")}
	for _, p := range g.complete(key+" ", nil, maxCandidates) {
		if len(out) == maxCandidates {
			break
		}
		if p.INSEE != out[0].INSEE {
			out = append(out, p)
		}
	}
	return out
}

// resolveCode resolves a postcode first, then an INSEE code: the two overlap
// ("13008" is Marseille 8e's postcode and Aureille's INSEE code) and people
// type postcodes far more often.
func (g *Gazetteer) resolveCode(code string) (stageindex.Place, error) {
	if ids, ok := g.byPostcode[code]; ok {
		p := g.place(ids[0], code)
		for _, id := range ids[1:] {
			o := g.place(id, code)
			o.Postcodes = nil
			p.Others = append(p.Others, o)
		}
		return p, nil
	}
	if id, ok := g.byINSEE[code]; ok {
		return g.place(id, ""), nil
	}
	var cands []stageindex.Place
	if isDigits(code) {
		cands = g.Autocomplete(code[:3], maxCandidates)
	}
	return stageindex.Place{}, whereError(stageindex.CodeUnknownPlace, fmt.Sprintf("%q is not a known postcode or INSEE code", code), cands)
}

// lookupName returns the communes whose name (or, failing that, name without
// article or former name) is q.key and that satisfy q's constraint, most
// populous first.
func (g *Gazetteer) lookupName(q query) []int32 {
	if ids := g.filter(g.exact[q.key], q); len(ids) > 0 {
		return ids
	}
	var ids []int32
	ids = append(ids, g.filter(g.loose[q.key], q)...)
	ids = append(ids, g.filter(g.loose[compact(q.key)], q)...)
	if s := stripArticle(q.key); s != q.key {
		ids = append(ids, g.filter(g.exact[s], q)...)
		ids = append(ids, g.filter(g.loose[s], q)...)
	}
	out := ids[:0]
	seen := make(map[int32]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	g.sortByPop(out)
	return out
}

// filter keeps the ids that satisfy q's department or postcode; it copies.
func (g *Gazetteer) filter(ids []int32, q query) []int32 {
	var out []int32
	for _, id := range ids {
		if g.accepts(id, q) {
			out = append(out, id)
		}
	}
	return out
}

func (g *Gazetteer) accepts(id int32, q query) bool {
	c := &g.communes[id]
	if q.dept != "" && c.dept != q.dept && !(q.dept == corsica && (c.dept == "2A" || c.dept == "2B")) {
		return false
	}
	if q.postcode != "" {
		for _, p := range c.postcodes {
			if p == q.postcode {
				return true
			}
		}
		return false
	}
	return true
}

func (g *Gazetteer) places(ids []int32, n int) []stageindex.Place {
	out := make([]stageindex.Place, 0, min(n, len(ids)))
	for _, id := range ids[:min(n, len(ids))] {
		out = append(out, g.place(id, ""))
	}
	return out
}

func whereError(code stageindex.ParamCode, msg string, cands []stageindex.Place) error {
	return &stageindex.Error{
		Code:    stageindex.EINVALID,
		Message: "cannot resolve the place",
		Params:  []stageindex.ParamError{{Param: "where", Code: code, Message: msg, Candidates: cands}},
	}
}

// suggest returns up to n places whose name is within a few typos of q.key
// (closest first, then most populous), topped up with prefix matches.
func (g *Gazetteer) suggest(q query, n int) []stageindex.Place {
	maxD := min(1+len(q.key)/4, 3)
	type cand struct {
		id int32
		d  int
	}
	best := make(map[int32]int)
	// Every key: own names, names without article, compact and former names.
	for _, m := range []map[string][]int32{g.exact, g.loose} {
		for k, ids := range m {
			if abs(len(k)-len(q.key)) > maxD {
				continue
			}
			d := stageindex.EditDistance(q.key, k, maxD)
			if d > maxD {
				continue
			}
			for _, id := range ids {
				if old, ok := best[id]; g.accepts(id, q) && (!ok || d < old) {
					best[id] = d
				}
			}
		}
	}
	cands := make([]cand, 0, len(best))
	for id, d := range best {
		cands = append(cands, cand{id, d})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		a, b := &g.communes[cands[i].id], &g.communes[cands[j].id]
		if a.pop != b.pop {
			return a.pop > b.pop
		}
		return a.insee < b.insee
	})
	ids := make([]int32, 0, n)
	for _, c := range cands[:min(n, len(cands))] {
		ids = append(ids, c.id)
	}
	out := g.places(ids, n)
	if len(out) < n {
		for _, p := range g.complete(q.key, func(id int32) bool { return g.accepts(id, q) }, n) {
			if len(out) == n {
				break
			}
			if id := g.byINSEE[p.INSEE]; !containsID(ids, id) {
				ids = append(ids, id)
				out = append(out, p)
			}
		}
	}
	return out
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
