package geo

import (
	"sort"
	"strings"

	"github.com/stageindex/stageindex"
)

// Match tiers of autocomplete entries: the start of a commune's name (with
// or without its article), the start of a later word ("brieuc"), a former
// name.
const (
	tierName uint8 = iota
	tierWord
	tierAlias
)

// tierBonus is added to log10(population): a word or former-name match must
// be ~30 or ~300 times more populous to outrank a name-start match.
var tierBonus = [...]float64{tierName: 0, tierWord: -1.5, tierAlias: -2.5}

// exactBonus rewards a key equal to the input: "Paris" before "Paris 15e
// Arrondissement" and Parisot; a whole later word ("lyon" in Sainte-Foy-lès-
// Lyon) less, so that Lyon's arrondissements stay ahead.
var exactBonus = [...]float64{tierName: 3, tierWord: 1, tierAlias: 3}

// prefixEntry is one key of the sorted autocomplete index.
type prefixEntry struct {
	key  string
	id   int32
	tier uint8
}

// DefaultAutocomplete and MaxAutocomplete bound Autocomplete's limit.
const (
	DefaultAutocomplete = 10
	MaxAutocomplete     = 50
)

// Autocomplete returns places for a partial input: from 2 digits, the
// communes of matching postcodes (the postcode typed first, the communes
// whose own postcode it is before the others); from 2 letters, communes,
// départements and régions whose name or a word of it starts with q,
// ranked by match quality and population. A limit outside
// 1..MaxAutocomplete means DefaultAutocomplete. It returns nil for shorter
// input.
func (g *Gazetteer) Autocomplete(q string, limit int) []stageindex.Place {
	if limit <= 0 || limit > MaxAutocomplete {
		limit = DefaultAutocomplete
	}
	s := strings.TrimSpace(q)
	if len(s) > maxWhereLen {
		return nil
	}
	if isDigits(s) {
		return g.completePostcode(s, limit)
	}
	if up := strings.ToUpper(s); isINSEE(up) {
		if id, ok := g.byINSEE[up]; ok {
			return []stageindex.Place{g.place(id, "")}
		}
	}
	key := normKey(s)
	if len(key) < 2 {
		return nil
	}
	t := topK{k: limit, items: make([]scored, 0, limit+1)}
	g.completeInto(&t, key, nil)
	g.completeAreas(&t, key)
	return g.scoredPlaces(t.items)
}

// areaPenalty is taken off an area's log10(population): a département is
// the sum of its towns, and a pupil typing "bre" is as likely after Brest as
// after Bretagne.
const areaPenalty = 1

// completeAreas adds the départements and régions (and the country) whose
// keys start with key. Their ids in t are -1 - index in g.areas.
func (g *Gazetteer) completeAreas(t *topK, key string) {
	i := sort.Search(len(g.areaPrefix), func(i int) bool { return g.areaPrefix[i].key >= key })
	for ; i < len(g.areaPrefix) && strings.HasPrefix(g.areaPrefix[i].key, key); i++ {
		e := &g.areaPrefix[i]
		score := g.areas[e.id].logPop - areaPenalty + tierBonus[e.tier]
		if len(e.key) == len(key) {
			score += exactBonus[e.tier]
		}
		t.add(scored{id: -1 - e.id, score: score})
	}
}

// scored is a candidate of a top-k selection.
type scored struct {
	id       int32
	score    float64
	postcode string
}

// topK keeps the k best-scored distinct ids, best first.
type topK struct {
	k     int
	items []scored
}

func (t *topK) add(c scored) {
	for i := range t.items {
		if t.items[i].id == c.id {
			if c.score <= t.items[i].score {
				return
			}
			t.items = append(t.items[:i], t.items[i+1:]...)
			break
		}
	}
	if len(t.items) == t.k && c.score <= t.items[t.k-1].score {
		return
	}
	i := sort.Search(len(t.items), func(i int) bool { return t.items[i].score < c.score })
	t.items = append(t.items, scored{})
	copy(t.items[i+1:], t.items[i:])
	t.items[i] = c
	if len(t.items) > t.k {
		t.items = t.items[:t.k]
	}
}

// complete ranks the communes whose index keys start with key; keep, when
// not nil, filters them.
func (g *Gazetteer) complete(key string, keep func(int32) bool, limit int) []stageindex.Place {
	if len(key) < 2 {
		return nil
	}
	t := topK{k: limit, items: make([]scored, 0, limit+1)}
	g.completeInto(&t, key, keep)
	return g.scoredPlaces(t.items)
}

// completeInto adds to t the communes whose keys start with key.
func (g *Gazetteer) completeInto(t *topK, key string, keep func(int32) bool) {
	i := sort.Search(len(g.prefix), func(i int) bool { return g.prefix[i].key >= key })
	for ; i < len(g.prefix) && strings.HasPrefix(g.prefix[i].key, key); i++ {
		e := &g.prefix[i]
		if keep != nil && !keep(e.id) {
			continue
		}
		score := g.communes[e.id].logPop + tierBonus[e.tier]
		if len(e.key) == len(key) {
			score += exactBonus[e.tier]
		}
		t.add(scored{id: e.id, score: score})
	}
}

// completePostcode lists the communes of the postcodes starting with digits,
// an exact postcode first, then by population.
func (g *Gazetteer) completePostcode(digits string, limit int) []stageindex.Place {
	if len(digits) < 2 || len(digits) > 5 {
		return nil
	}
	t := topK{k: limit, items: make([]scored, 0, limit+1)}
	i := sort.SearchStrings(g.postcodes, digits)
	for ; i < len(g.postcodes) && strings.HasPrefix(g.postcodes[i], digits); i++ {
		p := g.postcodes[i]
		for _, id := range g.byPostcode[p] {
			score := g.communes[id].logPop
			if len(p) == len(digits) {
				score += 10
			}
			if g.communes[id].ownsPostcode(p) {
				score += 2 // 29000 is Quimper's, not Brest's
			}
			t.add(scored{id: id, score: score, postcode: p})
		}
	}
	if len(digits) == 5 {
		if id, ok := g.byINSEE[digits]; ok {
			t.add(scored{id: id, score: g.communes[id].logPop})
		}
	}
	return g.scoredPlaces(t.items)
}

func (g *Gazetteer) scoredPlaces(items []scored) []stageindex.Place {
	if len(items) == 0 {
		return nil
	}
	out := make([]stageindex.Place, len(items))
	for i, c := range items {
		if c.id < 0 {
			out[i] = g.areaPlace(-1 - c.id)
		} else {
			out[i] = g.place(c.id, c.postcode)
		}
	}
	return out
}
