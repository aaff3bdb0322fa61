package geo

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

// Reading a place typed among the keywords ("boulangerie brest", "stage
// mairie nantes", "avocat paris 15", "stage en bretagne") is written out,
// with its false friends, in docs/places.md ("A place inside q"). The
// words below are the rule's vocabulary; the thresholds its two numbers.

// Population floors of a place read from q: a single bare word
// ("boulangerie gap") must name a commune of at least MinBarePopulation
// inhabitants, since small communes are named like everyday words (Bus,
// Placé, La Machine, École); after "de" ("mairie de nantes"), any commune
// of at least MinAfterDePopulation ("pose de vitre" is not Vitré).
const (
	MinBarePopulation    = 5000
	MinAfterDePopulation = 20000
)

// maxSpanWords bounds the words a place name may have in q.
const maxSpanWords = 8

// markerStrength is how sure a word before a span makes it a place.
type markerStrength uint8

const (
	markerNone   markerStrength = iota
	markerWeak                  // en, dans, au, sur: "en mairie", "sur place" are no places
	markerDe                    // de, du, des, d': "mairie de Nantes", "jus d'orange"
	markerStrong                // à, près de, vers, autour de: only a place follows
)

// markers are the phrases that introduce a place, as keys, longest first
// within each leading word.
var markers = []struct {
	words    []string
	strength markerStrength
}{
	{[]string{"a", "cote", "de"}, markerStrong},
	{[]string{"a", "cote", "d"}, markerStrong},
	{[]string{"pres", "de"}, markerStrong},
	{[]string{"pres", "d"}, markerStrong},
	{[]string{"proche", "de"}, markerStrong},
	{[]string{"proche", "d"}, markerStrong},
	{[]string{"autour", "de"}, markerStrong},
	{[]string{"autour", "d"}, markerStrong},
	{[]string{"dans", "le"}, markerWeak},
	{[]string{"dans", "la"}, markerWeak},
	{[]string{"dans", "les"}, markerWeak},
	{[]string{"dans", "l"}, markerWeak},
	{[]string{"a"}, markerStrong},
	{[]string{"vers"}, markerStrong},
	{[]string{"sur"}, markerWeak},
	{[]string{"en"}, markerWeak},
	{[]string{"dans"}, markerWeak},
	{[]string{"au"}, markerWeak},
	{[]string{"aux"}, markerWeak},
	{[]string{"de"}, markerDe},
	{[]string{"du"}, markerDe},
	{[]string{"des"}, markerDe},
	{[]string{"d"}, markerDe},
}

// boundBefore are words after which a span at the end of q belongs to the
// phrase they open: a determiner ("ma mairie", "la mer", "du sens"), an
// adverb ("trop nice", "pas cher"), "chez" (an employer), a coordination
// ("brest ou quimper").
var boundBefore = map[string]bool{
	"le": true, "la": true, "les": true, "l": true, "un": true, "une": true,
	"ma": true, "mon": true, "mes": true, "ta": true, "ton": true, "tes": true,
	"sa": true, "son": true, "ses": true, "notre": true, "nos": true, "votre": true,
	"vos": true, "leur": true, "leurs": true, "ce": true, "cet": true, "cette": true,
	"ces": true, "quel": true, "quelle": true, "trop": true, "tres": true,
	"super": true, "hyper": true, "vraiment": true, "pas": true, "plus": true,
	"moins": true, "assez": true, "si": true, "bien": true, "chez": true,
	"et": true, "ou": true, "avec": true, "pour": true, "sans": true, "comme": true,
}

// boundAfter are words after which a span at the start of q is the head of
// a phrase: "tours de magie", "orange et ...", "cannes a peche".
var boundAfter = map[string]bool{
	"de": true, "d": true, "du": true, "des": true, "a": true, "au": true, "aux": true,
	"en": true, "pour": true, "et": true, "ou": true, "avec": true, "sur": true,
	"chez": true, "dans": true, "par": true, "sans": true, "qui": true, "que": true,
}

// queryFillers are the words pupils put before what they look for ("stage
// de 3e"): skipped when looking for a place at the start of q, and dropped
// when they are all that is left of it.
var queryFillers = map[string]bool{
	"stage": true, "stages": true, "un": true, "une": true, "de": true, "d": true,
	"3e": true, "3eme": true, "3ieme": true, "troisieme": true, "observation": true,
	"mon": true, "cherche": true, "recherche": true,
}

// wordAreas are départements named like everyday words ("pas cher", "un
// lot", "la manche", "au nord de"): read from q only after a marker ("dans
// le Cher", "en Manche").
var wordAreas = map[string]bool{
	"cher": true, "lot": true, "manche": true, "somme": true, "var": true, "nord": true,
	"ain": true, "orne": true, "gard": true, "eure": true, "jura": true, "landes": true,
	"vosges": true, "marne": true, "loire": true, "aude": true, "indre": true,
}

// everydayWords are commune names that are first of all everyday words or
// brands, which neither the thesaurus nor the offers' titles can be relied
// on to know: "stage orange" is the telecom company, "nettoyage vitre" a
// window (Vitré is typed with its accent, or after "à"). Small communes
// named like words (Bus, Placé, Long) are kept out by MinBarePopulation.
var everydayWords = map[string]bool{
	"orange": true, "vitre": true, "bar": true, "pont": true, "place": true, "ville": true,
	"long": true, "bus": true, "four": true, "cours": true, "port": true, "blanc": true,
	"mer": true, "vue": true, "salon": true, "salle": true, "bois": true, "ecole": true,
	"jardin": true, "machine": true, "tour": true, "campagne": true, "hopital": true,
	"couture": true, "maisons": true, "plage": true, "mode": true, "fontaine": true,
}

// qword is a word of q: its text, where it is, and its key.
type qword struct {
	start, end int
	raw, key   string
}

// splitQuery cuts q into words (runs of letters and digits), as normKey
// would separate them.
func splitQuery(q string) []qword {
	var out []qword
	start := -1
	for i, r := range q {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			out = append(out, qword{start: start, end: i, raw: q[start:i], key: normKey(q[start:i])})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, qword{start: start, end: len(q), raw: q[start:], key: normKey(q[start:])})
	}
	return out
}

// PlaceInQuery finds a town, a département or a région typed at the end or
// the start of the keywords q ("boulangerie brest", "stage avocat paris
// 15", "stage en Bretagne", "brest boulangerie") and returns it with rest,
// q without the place and the word introducing it ("à", "près de"...).
// isKeyword, when not nil, tells whether a word or phrase (a normKey key)
// is better read as a keyword: a job, a field, a word of the search
// vocabulary ("orange", "maçon" read as "macon", "hopital"). ok is false
// when q names no place, or only through a false friend; the rule is in
// docs/places.md. The whole country is read only from "toute la France"
// and the like, never from "france" alone (France Travail...).
func (g *Gazetteer) PlaceInQuery(q string, isKeyword func(key string) bool) (rest string, p stageindex.Place, ok bool) {
	if len(q) > maxWhereLen {
		return "", stageindex.Place{}, false
	}
	ws := splitQuery(q)
	if len(ws) == 0 {
		return "", stageindex.Place{}, false
	}
	known := isKeyword
	isKeyword = func(k string) bool { return everydayWords[k] || known != nil && known(k) }
	// At the end: the longest span first ("le mans" before "mans", "saint
	// denis 93" before "denis 93").
	for n := min(maxSpanWords, len(ws)); n >= 1; n-- {
		i := len(ws) - n
		if !g.startsName(ws[i].key) {
			continue
		}
		m, mstart := markerBefore(ws, i)
		if m == markerNone && i > 0 && (boundBefore[ws[i-1].key] || phrase(isKeyword, ws[i-1].key, ws[i].key)) {
			continue
		}
		if p, ok := g.spanPlace(q, ws, i, len(ws), m, ws[mstart].key, isKeyword); ok {
			return cutSpan(q, ws, mstart, len(ws)), p, true
		}
	}
	// At the start, after "stage de 3e" and the like, and a marker.
	first := 0
	for first < len(ws) && queryFillers[ws[first].key] {
		first++
	}
	m, after := markerAt(ws, first)
	for n := min(maxSpanWords, len(ws)-after-1); n >= 1; n-- {
		end := after + n
		if !g.startsName(ws[after].key) {
			break
		}
		if boundAfter[ws[end].key] || phrase(isKeyword, ws[end-1].key, ws[end].key) {
			continue
		}
		if p, ok := g.spanPlace(q, ws, after, end, m, ws[first].key, isKeyword); ok {
			return cutSpan(q, ws, first, end), p, true
		}
	}
	return "", stageindex.Place{}, false
}

// phrase reports whether two words make a keyword neither is alone
// ("tours operateur"): the span is then half of it. A word that is a
// keyword alone is left to the keyword rule of spanPlace (and "garage la"
// is only "garage" to the vocabulary).
func phrase(isKeyword func(string) bool, a, b string) bool {
	return !queryFillers[a] && !queryFillers[b] && isKeyword(a+" "+b) && !isKeyword(a) && !isKeyword(b)
}

// contractedArticle is the article a marker contracts: "du Mans" is "de
// Le Mans", "des Sables-d'Olonne" "de Les Sables"; so "du sens" and "des
// vitres" name no Sens or Vitré.
var contractedArticle = map[string]string{"du": "le ", "des": "les ", "au": "le ", "aux": "les "}

// markerBefore finds a marker ending just before ws[i]: its strength and
// the index of its first word (i when there is none).
func markerBefore(ws []qword, i int) (markerStrength, int) {
	for _, m := range markers {
		n := len(m.words)
		if i < n {
			continue
		}
		match := true
		for j, w := range m.words {
			if ws[i-n+j].key != w {
				match = false
				break
			}
		}
		if match {
			return m.strength, i - n
		}
	}
	return markerNone, i
}

// markerAt finds a marker starting at ws[i]: its strength and the index of
// the word after it (i when there is none).
func markerAt(ws []qword, i int) (markerStrength, int) {
	for _, m := range markers {
		n := len(m.words)
		if i+n >= len(ws) {
			continue
		}
		match := true
		for j, w := range m.words {
			if ws[i+j].key != w {
				match = false
				break
			}
		}
		if match {
			return m.strength, i + n
		}
	}
	return markerNone, i
}

// spanPlace resolves ws[i:j] as a place and applies the false-friend rule;
// m is the strength of the marker before it, mword its first word.
func (g *Gazetteer) spanPlace(q string, ws []qword, i, j int, m markerStrength, mword string, isKeyword func(string) bool) (stageindex.Place, bool) {
	span := ws[i:j]
	if len(span) == 1 && isDigits(span[0].key) && len(span[0].key) < 5 && m == markerNone {
		return stageindex.Place{}, false // "stage 15 ans": a bare number is no département
	}
	if !g.startsName(span[0].key) {
		return stageindex.Place{}, false
	}
	text := q[span[0].start:span[len(span)-1].end]
	p, err := g.resolve(text, true)
	if err != nil {
		return stageindex.Place{}, false
	}
	// An area's span may hold its own filler words ("en bretagne", "toute
	// la france"): they count as a marker.
	core := span
	for len(core) > 1 && areaFillers[core[0].key] {
		if !articles[core[0].key] && m == markerNone {
			m, mword = markerWeak, core[0].key
		}
		core = core[1:]
	}
	if p.Kind == stageindex.PlaceCommune {
		core = span
	}
	key := joinKeys(core)
	switch p.Kind {
	case stageindex.PlaceCountry:
		// "France Travail", "en France": only "toute la France" and the
		// like scope nothing on purpose.
		if key == "france" && mword != "toute" && mword != "tout" && mword != "toutes" {
			return stageindex.Place{}, false
		}
	case stageindex.PlaceDepartment, stageindex.PlaceRegion:
		if wordAreas[key] && m != markerStrong && m != markerWeak {
			return stageindex.Place{}, false
		}
	case stageindex.PlaceCommune:
		if art, ok := contractedArticle[mword]; ok && m != markerNone && !strings.HasPrefix(normKey(p.Name), art) {
			return stageindex.Place{}, false
		}
	}
	if g.keywordSpan(core, key, p, isKeyword) && (articles[core[0].key] || !spelledAsName(text, p.Name)) {
		// "stage orange" is the company; "stage à orange" the town, unless
		// an article says it is a thing ("à l'hôpital", "à la poste").
		if m != markerStrong || articles[core[0].key] {
			return stageindex.Place{}, false
		}
	}
	if p.Kind != stageindex.PlaceCommune {
		return p, true
	}
	switch m {
	case markerStrong:
		return p, true
	case markerDe:
		return p, p.Population >= MinAfterDePopulation
	}
	if len(core) == 1 && !isDigits(core[0].key) && p.Population < MinBarePopulation && !capitalised(q, core[0]) {
		return stageindex.Place{}, false
	}
	return p, true
}

// startsName is a cheap test before resolving a span: whether w is a
// number, a filler of an area's name, or the first word of some commune's
// or area's name key. Most spans of a query fail it.
func (g *Gazetteer) startsName(w string) bool {
	if isDigits(w) || areaFillers[w] {
		return true
	}
	for _, idx := range [][]prefixEntry{g.prefix, g.areaPrefix} {
		i := sort.Search(len(idx), func(i int) bool { return idx[i].key >= w })
		if i < len(idx) && (idx[i].key == w || strings.HasPrefix(idx[i].key, w+" ")) {
			return true
		}
		// Keys between w and w+" " ("w-something" sorts after "w ").
		j := sort.Search(len(idx), func(i int) bool { return idx[i].key >= w+" " })
		if j < len(idx) && strings.HasPrefix(idx[j].key, w+" ") {
			return true
		}
	}
	return false
}

// keywordSpan reports whether the span reads as keywords: the whole span
// is a keyword, or each of its words (articles and linking words aside)
// is.
func (g *Gazetteer) keywordSpan(span []qword, key string, p stageindex.Place, isKeyword func(string) bool) bool {
	if isKeyword(key) {
		return true
	}
	if len(span) == 1 {
		return false
	}
	content := 0
	for _, w := range span {
		if articles[w.key] || stopWords[w.key] || isDigits(w.key) {
			continue
		}
		content++
		if !isKeyword(w.key) {
			return false
		}
	}
	return content > 0
}

func joinKeys(ws []qword) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.key)
	}
	return b.String()
}

// spelledAsName reports whether text is the place's name with its accents
// ("Vitré", "mâcon", "Sète"): typed so, it is the town, not the word
// ("vitre", "maçon").
func spelledAsName(text, name string) bool {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return false
	}
	sep := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	a, b := strings.FieldsFunc(strings.ToLower(text), sep), strings.FieldsFunc(strings.ToLower(name), sep)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// capitalised reports whether w was typed with a capital in a q that is
// not all capitals: a proper noun ("boulangerie Plouha").
func capitalised(q string, w qword) bool {
	r, _ := utf8.DecodeRuneInString(w.raw)
	return unicode.IsUpper(r) && strings.ToUpper(q) != q
}

// cutSpan returns q without ws[i:j], tidied; fillers alone ("stage de 3e")
// are no keywords and leave "".
func cutSpan(q string, ws []qword, i, j int) string {
	start, end := ws[i].start, ws[j-1].end
	rest := strings.Join(strings.Fields(q[:start]+" "+q[end:]), " ")
	rest = strings.TrimFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '"' })
	onlyFillers := true
	for _, w := range splitQuery(rest) {
		if !queryFillers[w.key] {
			onlyFillers = false
			break
		}
	}
	if onlyFillers {
		return ""
	}
	return rest
}
