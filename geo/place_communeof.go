package geo

import (
	"strings"

	"github.com/stageindex/stageindex"
)

// CommuneOf maps an offer's address (zipcode and city as publishers write
// them: any case or accents, "St-", "Mans (Le)", "PARIS 11", a former
// commune's name) to the INSEE code of its commune. In Paris, Lyon and
// Marseille it returns the arrondissement's code (see CommuneCodes). The
// zipcode decides between homonyms; a CEDEX or unknown zipcode falls back to
// the name within the zipcode's department. ok is false when neither gives
// a single commune.
func (g *Gazetteer) CommuneOf(zipcode, city string) (insee string, ok bool) {
	zip := strings.TrimSpace(zipcode)
	if len(zip) == 4 && isDigits(zip) {
		zip = "0" + zip // a leading zero lost by a spreadsheet
	}
	q, parsed := g.parseName(city)
	if !parsed {
		q = query{key: normKey(city)}
	}
	key := stripCedex(q.key)
	inZip := g.byPostcode[zip]
	if key == "" {
		if len(inZip) == 1 {
			return g.communes[inZip[0]].insee, true
		}
		return "", false
	}
	if code, isArr := arrondissement(key); isArr && code != "" {
		return code, true
	}
	// The zipcode's communes whose name, name without article, former name or
	// city (for an arrondissement) is the key.
	stripped := stripArticle(key)
	for _, id := range inZip {
		c := &g.communes[id]
		if c.key == key || stripArticle(c.key) == stripped || g.cityKey(c) == key {
			return c.insee, true
		}
	}
	for _, id := range g.loose[key] {
		if containsID(inZip, id) {
			return g.communes[id].insee, true
		}
	}
	// The name in the zipcode's department (CEDEX and outdated zipcodes).
	if dept := deptOfZip(zip); dept != "" || zip == "" {
		ids := g.lookupName(query{key: key, dept: dept})
		if len(ids) == 1 || (len(ids) > 1 && dept != "" && g.communes[ids[0]].pop >= HomonymRatio*g.communes[ids[1]].pop) {
			return g.communes[ids[0]].insee, true
		}
		if len(ids) > 1 {
			return "", false
		}
	}
	// A misspelt name among the zipcode's communes.
	bestID, bestD := int32(-1), 3
	for _, id := range inZip {
		if d := stageindex.EditDistance(key, g.communes[id].key, 2); d < bestD {
			bestID, bestD = id, d
		}
	}
	if bestID >= 0 {
		return g.communes[bestID].insee, true
	}
	return "", false
}

// stripCedex drops a trailing "cedex" or "cedex 9" from a city key.
func stripCedex(key string) string {
	words := strings.Fields(key)
	n := len(words)
	if n > 1 && isDigits(words[n-1]) && words[n-2] == "cedex" {
		n--
	}
	if n > 1 && words[n-1] == "cedex" {
		return strings.Join(words[:n-1], " ")
	}
	return key
}

// cityKey is the key of the city an arrondissement belongs to, "" otherwise.
func (g *Gazetteer) cityKey(c *commune) string {
	if c.parent == "" {
		return ""
	}
	if id, ok := g.byINSEE[c.parent]; ok {
		return g.communes[id].key
	}
	return ""
}

// deptOfZip guesses the department of a zipcode: 97x overseas, corsica
// for 20xxx, else the first two digits.
func deptOfZip(zip string) string {
	switch {
	case !isPostcode(zip):
		return ""
	case strings.HasPrefix(zip, "97"):
		return zip[:3]
	}
	return zip[:2] // "20" is corsica
}
