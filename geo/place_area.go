package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/stageindex/stageindex"
)

// area is a place searched by département rather than around a point: a
// département, a région or the whole country.
type area struct {
	kind   stageindex.PlaceKind
	code   string   // "29", "53", "FR"
	name   string   // "Finistère", "Bretagne", "France"
	label  string   // "Finistère (29)", "Bretagne", "La Réunion (974)"
	region string   // a département's région
	depts  []string // a région's départements; a département's own code; nil for the country
	pop    int
	logPop float64
}

// Area codes in areaByCode: the kind's initial and the code, so that
// région 11 and a département 11 (Aude) stay apart.
func areaCode(kind stageindex.PlaceKind, code string) string {
	switch kind {
	case stageindex.PlaceDepartment:
		return "d" + code
	case stageindex.PlaceRegion:
		return "r" + code
	}
	return code
}

// CountryCode is the Code of the Place that stands for the whole country.
const CountryCode = "FR"

// areaAliases are the other names people give areas, as normKey keys: the
// usual abbreviations of three régions and the ways of saying "all of
// France". Former régions (Alsace, Picardie...) are not here: they are not
// régions any more, and mapping them to today's would widen the search.
var areaAliases = map[string]string{
	"idf":                  "r11",
	"region parisienne":    "r11",
	"paca":                 "r93",
	"region sud":           "r93",
	"aura":                 "r84",
	"pays de loire":        "r52",
	"france":               CountryCode,
	"toute la france":      CountryCode,
	"france entiere":       CountryCode,
	"toute france":         CountryCode,
	"partout":              CountryCode,
	"partout en france":    CountryCode,
	"dans toute la france": CountryCode,
}

// areaFillers are the words that may come before an area's name without
// changing it: "toute la Bretagne", "région Bretagne", "département du
// Finistère", "dans le Nord", "en Corse".
var areaFillers = map[string]bool{
	"toute": true, "tout": true, "toutes": true, "la": true, "le": true, "les": true, "l": true,
	"region": true, "departement": true, "dept": true, "dpt": true, "du": true, "de": true,
	"des": true, "d": true, "en": true, "dans": true,
}

// indexAreas builds the country, the régions and the départements, their
// populations and their keys, once the communes are indexed.
func (g *Gazetteer) indexAreas() error {
	slices.SortFunc(g.regions, func(a, b Region) int { return cmp.Compare(a.Code, b.Code) })
	deptPop := make(map[string]int, len(g.depts))
	total := 0
	for i := range g.communes {
		if c := &g.communes[i]; c.parent == "" {
			deptPop[c.dept] += c.pop
			total += c.pop
		}
	}
	g.areas = append(g.areas[:0], area{kind: stageindex.PlaceCountry, code: CountryCode, name: "France", label: "France", pop: total})
	regionIdx := make(map[string]int, len(g.regions))
	for i := range g.regions {
		regionIdx[g.regions[i].Code] = i
	}
	for _, d := range g.depts {
		i, ok := regionIdx[d.Region]
		if !ok {
			return fmt.Errorf("department %s: unknown region %q", d.Code, d.Region)
		}
		g.regions[i].Departments = append(g.regions[i].Departments, d.Code)
	}
	for _, r := range g.regions {
		pop := 0
		for _, d := range r.Departments {
			pop += deptPop[d]
		}
		g.areas = append(g.areas, area{kind: stageindex.PlaceRegion, code: r.Code, name: r.Name, label: r.Name,
			depts: r.Departments, pop: pop})
	}
	for _, d := range g.depts {
		g.areas = append(g.areas, area{kind: stageindex.PlaceDepartment, code: d.Code, name: d.Name,
			label: d.Name + " (" + d.Code + ")", region: d.Region, depts: []string{d.Code}, pop: deptPop[d.Code]})
	}
	g.areaByKey = make(map[string]int32, 3*len(g.areas))
	g.areaByCode = make(map[string]int32, len(g.areas))
	// Départements first: a région of the same name ("La Réunion",
	// "Guadeloupe") overwrites it, the département needing its code.
	order := make([]int32, 0, len(g.areas))
	for i := len(g.regions) + 1; i < len(g.areas); i++ {
		order = append(order, int32(i))
	}
	for i := 0; i <= len(g.regions); i++ {
		order = append(order, int32(i))
	}
	for _, i := range order {
		a := &g.areas[i]
		a.logPop = math.Log10(float64(a.pop) + 10)
		g.areaByCode[areaCode(a.kind, a.code)] = i
		k := normKey(a.name)
		for _, key := range []string{k, stripArticle(k), compact(k)} {
			g.areaByKey[key] = i
		}
		// A département or région named like a commune that is most of it
		// (Paris) is that commune to autocomplete.
		if ids := g.exact[k]; len(ids) > 0 && 2*g.communes[ids[0]].pop >= a.pop {
			continue
		}
		g.areaPrefix = append(g.areaPrefix, prefixEntry{key: k, id: i, tier: tierName})
		if s := stripArticle(k); s != k {
			g.areaPrefix = append(g.areaPrefix, prefixEntry{key: s, id: i, tier: tierName})
		}
		for _, w := range wordStarts(k) {
			g.areaPrefix = append(g.areaPrefix, prefixEntry{key: w, id: i, tier: tierWord})
		}
	}
	for key, code := range areaAliases {
		i, ok := g.areaByCode[code]
		if !ok {
			return fmt.Errorf("area alias %q: unknown area %s", key, code)
		}
		g.areaByKey[key] = i
		g.areaPrefix = append(g.areaPrefix, prefixEntry{key: key, id: i, tier: tierAlias})
	}
	slices.SortFunc(g.areaPrefix, func(a, b prefixEntry) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
	})
	return nil
}

// areaOf finds the area a key names, also after filler words ("toute la
// bretagne", "departement du finistere"), and returns the key without them.
func (g *Gazetteer) areaOf(key string) (int32, string, bool) {
	for {
		if i, ok := g.areaByKey[key]; ok {
			return i, key, true
		}
		if i, ok := g.areaByKey[compact(key)]; ok {
			return i, key, true // "cote dor"
		}
		sp := strings.IndexByte(key, ' ')
		if sp < 0 || !areaFillers[key[:sp]] {
			return 0, "", false
		}
		key = key[sp+1:]
	}
}

// namesArea reports whether key is one of area i's own name keys.
func (g *Gazetteer) namesArea(i int32, key string) bool {
	k := normKey(g.areas[i].name)
	return key == k || key == stripArticle(k) || compact(key) == compact(k)
}

// areaPlace builds the public Place of an area.
func (g *Gazetteer) areaPlace(i int32) stageindex.Place {
	a := &g.areas[i]
	p := stageindex.Place{Name: a.name, Kind: a.kind, Code: a.code, Label: a.label, Population: a.pop,
		Departments: slices.Clone(a.depts)}
	switch a.kind {
	case stageindex.PlaceDepartment:
		p.Department, p.Region = a.code, a.region
	case stageindex.PlaceRegion:
		p.Region = a.code
	}
	return p
}

// Department returns the département with that code ("29", "2a", "974").
func (g *Gazetteer) Department(code string) (stageindex.Place, bool) {
	i, ok := g.areaByCode[areaCode(stageindex.PlaceDepartment, strings.ToUpper(strings.TrimSpace(code)))]
	if !ok {
		return stageindex.Place{}, false
	}
	return g.areaPlace(i), true
}

// Region returns the région with that code ("53", "04").
func (g *Gazetteer) Region(code string) (stageindex.Place, bool) {
	i, ok := g.areaByCode[areaCode(stageindex.PlaceRegion, strings.TrimSpace(code))]
	if !ok {
		return stageindex.Place{}, false
	}
	return g.areaPlace(i), true
}

// Country returns the Place that stands for the whole country.
func (g *Gazetteer) Country() stageindex.Place { return g.areaPlace(0) }

// resolveArea decides between an area a name designates and the communes
// of the same name (ids, most populous first): the commune when it is most
// of the area (Paris), the area when it is HomonymRatio times the most
// populous commune ("Bretagne", "La Réunion", "Vienne"), else neither.
func (g *Gazetteer) resolveArea(i int32, ids []int32, s string) (stageindex.Place, bool, error) {
	a := &g.areas[i]
	if len(ids) == 0 || a.pop >= HomonymRatio*g.communes[ids[0]].pop {
		return g.areaPlace(i), true, nil
	}
	if 2*g.communes[ids[0]].pop >= a.pop {
		return stageindex.Place{}, false, nil
	}
	cands := append([]stageindex.Place{g.areaPlace(i)}, g.places(ids, maxCandidates-1)...)
	msg := fmt.Sprintf("%q is ambiguous: %s or the town %s", s, a.label, g.communeLabel(&g.communes[ids[0]]))
	return stageindex.Place{}, false, whereError(stageindex.CodeAmbiguousPlace, msg, cands)
}

// departmentByCode recognises a bare département code as `where`: "29",
// "2a", "974"; "20" (both Corsican départements) is the région Corse.
func (g *Gazetteer) departmentByCode(s string) (stageindex.Place, bool) {
	k := strings.ToLower(s)
	if k == corsica {
		return g.Region("94")
	}
	if !isDeptCodeShape(k) {
		return stageindex.Place{}, false
	}
	return g.Department(k)
}
