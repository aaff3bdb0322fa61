package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// How a job title was read by splitTitle.
const (
	splitPlain    = "plain"    // no slash: one form for both genders (Orthophoniste)
	splitGender   = "gender"   // at least one "masculine / feminine" slash
	splitLiteral  = "literal"  // slashes between alternatives only, no gender form (Pilote de chasse / transport)
	splitReviewed = "reviewed" // shape no rule reads, split by the reviewed table below
)

// reviewedTitles are the titles whose shape the rules below do not read, with
// the forms decided by hand. Keep it short: a rule is better when one fits.
var reviewedTitles = map[string][2]string{
	// Two names of a trade, the second a feminine alone.
	"Homme sage-femme / Sage-femme":  {"Homme sage-femme", "Sage-femme"},
	"Traminot / Employée de tramway": {"Traminot", "Employée de tramway"},
	// "dérouleuses": a plural by mistake in the source.
	"Conducteur dérouleur / Conductrice dérouleuses sur bois": {"Conducteur dérouleur sur bois", "Conductrice dérouleuse sur bois"},
	// Alternatives, no gender form: the slash stays.
	"Tubiste / Contre tubiste":                              {"Tubiste / Contre tubiste", "Tubiste / Contre tubiste"},
	"Sound designer / Designer sonore":                      {"Sound designer / Designer sonore", "Sound designer / Designer sonore"},
	"Analyste prix / pricing":                               {"Analyste prix / pricing", "Analyste prix / pricing"},
	"Responsable développement / Business Developer":        {"Responsable développement / Business Developer", "Responsable développement / Business Developer"},
	"Pilote de chasse / transport / hélicoptère de l'armée": {"Pilote de chasse / transport / hélicoptère de l'armée", "Pilote de chasse / transport / hélicoptère de l'armée"},
}

// splitTitle splits a ROME job title written "Masculin / Féminin" into its
// masculine and feminine forms. ROME writes the variable words once per
// gender around " / ", sharing the words before and after:
//
//	Technicien forestier / Technicienne forestière d'études et de recherche
//	Garde technicien / technicienne de réserve naturelle
//	Chef / Cheffe de cuisine traiteur / traiteuse
//
// Each " / " is a gender slash when the last words before it are the
// masculine forms of the first words after it; otherwise it separates
// alternatives (granulés / pellets, TV / Radio) and stays in both forms.
// Written by hand: no library reads French gender inflection.
func splitTitle(title string) (masc, fem, kind string) {
	title = clean(title)
	if r, ok := reviewedTitles[title]; ok {
		return r[0], r[1], splitReviewed
	}
	segs := splitSlashes(title)
	if len(segs) == 1 {
		m, f := inlineForms(segs[0])
		kind = splitPlain
		if !equalWords(m, f) {
			kind = splitGender
		}
		return join(m, f, kind)
	}

	// Decide which slashes are gender slashes; merge the segments around
	// the others, keeping " / " as a word.
	for {
		merged := false
		for i := 0; i+1 < len(segs); i++ {
			if len(pairWidths(segs[i], segs[i+1])) == 0 {
				seg := append(append(append([]string{}, segs[i]...), "/"), segs[i+1]...)
				segs = append(append(segs[:i:i], seg), segs[i+2:]...)
				merged = true
				break
			}
		}
		if !merged {
			break
		}
	}
	if len(segs) == 1 {
		m, f := inlineForms(segs[0])
		kind = splitLiteral
		if !equalWords(m, f) {
			kind = splitGender
		}
		return join(m, f, kind)
	}
	slashes := make([][]int, len(segs)-1) // per slash, the widths that pair, widest first
	for i := range slashes {
		slashes[i] = pairWidths(segs[i], segs[i+1])
	}
	// Choose one width per slash so that, in a segment between two slashes,
	// the feminine words of the first and the masculine words of the second
	// do not overlap. Widest first, backtracking (at most three slashes).
	widths := make([]int, len(slashes))
	var choose func(i, used int) bool
	choose = func(i, used int) bool {
		if i == len(slashes) {
			return true
		}
		for _, k := range slashes[i] {
			// used: words of segs[i] taken as feminine by slash i-1.
			if used+k > len(segs[i]) {
				continue
			}
			widths[i] = k
			if choose(i+1, k) {
				return true
			}
		}
		return false
	}
	if !choose(0, 0) {
		// Gender slashes whose words overlap: keep the title, counted.
		return title, title, splitLiteral
	}

	var m, f []string
	first := segs[0]
	k0 := widths[0]
	prefix := first[:len(first)-k0]
	m = append(m, first...)
	f = append(f, prefix...)
	for i := 1; i < len(segs); i++ {
		seg := segs[i]
		kf := widths[i-1] // feminine words of the previous slash
		km := 0           // masculine words of the next slash
		if i < len(widths) {
			km = widths[i]
		}
		fem := seg[:kf]
		mid := seg[kf : len(seg)-km]
		next := seg[len(seg)-km:]
		f = append(f, fem...)
		m = append(m, mid...)
		f = append(f, mid...)
		m = append(m, next...)
	}
	mm, _ := inlineForms(m)
	_, ff := inlineForms(f)
	return join(mm, ff, splitGender)
}

// join writes the two forms; a feminine form that starts the title takes the
// capital of the masculine (Technicien sportif /technicienne sportive).
func join(m, f []string, kind string) (string, string, string) {
	if len(m) > 0 && len(f) > 0 && startsUpper(m[0]) {
		f[0] = upperFirst(f[0])
	}
	return strings.Join(m, " "), strings.Join(f, " "), kind
}

// clean collapses runs of spaces and trims the title.
func clean(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// splitSlashes cuts a title at every slash that touches a space ("a / b",
// "a /b", "a/ b"); a slash between two letters (orfèvrerie/joaillerie)
// stays inside its word. Each segment is returned as words, with "de la"
// and "à la" kept as one word so that they pair with "du" and "au".
func splitSlashes(title string) [][]string {
	var segs [][]string
	var cur []string
	for _, w := range strings.Fields(title) {
		switch {
		case w == "/":
			segs = append(segs, cur)
			cur = nil
		case strings.HasPrefix(w, "/") && len(w) > 1:
			segs = append(segs, cur)
			cur = []string{w[1:]}
		case strings.HasSuffix(w, "/") && len(w) > 1:
			cur = append(cur, w[:len(w)-1])
			segs = append(segs, cur)
			cur = nil
		default:
			cur = append(cur, w)
		}
	}
	segs = append(segs, cur)
	for i, s := range segs {
		segs[i] = joinArticles(s)
	}
	return segs
}

// joinArticles keeps "de la" and "à la" as one word.
func joinArticles(ws []string) []string {
	out := ws[:0:0]
	for i := 0; i < len(ws); i++ {
		if i+1 < len(ws) && ws[i+1] == "la" && (ws[i] == "de" || ws[i] == "à") {
			out = append(out, ws[i]+" la")
			i++
			continue
		}
		out = append(out, ws[i])
	}
	return out
}

// pairWidths returns the numbers k, widest first, such that the last k words
// of left are the masculine forms of the first k words of right, word by
// word, with at least one word that differs.
func pairWidths(left, right []string) []int {
	var ks []int
	for k := min(len(left), len(right)); k >= 1; k-- {
		ok, differs := true, false
		for j := range k {
			a, b := left[len(left)-k+j], right[j]
			switch {
			case strings.EqualFold(a, b):
			case genderPair(a, b):
				differs = true
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && differs {
			ks = append(ks, k)
		}
	}
	return ks
}

// irregular are masculine and feminine words that no ending rule relates.
var irregular = map[string]string{
	"du":       "de la",
	"au":       "à la",
	"le":       "la",
	"un":       "une",
	"homme":    "femme",
	"garçon":   "fille",
	"steward":  "hôtesse",
	"valet":    "femme",
	"monsieur": "dame",
	"man":      "woman",
	"barman":   "barmaid",
	"poète":    "poétesse",
}

// endings are the masculine → feminine endings of French nouns and
// adjectives, longest first where one is a suffix of another.
var endings = [][2]string{
	{"teur", "trice"}, {"teur", "teuse"}, {"teur", "toresse"},
	{"eur", "euse"}, {"eur", "eure"}, {"eur", "eresse"}, {"eur", "rice"},
	{"ier", "ière"}, {"er", "ère"},
	{"ien", "ienne"}, {"on", "onne"}, {"an", "anne"}, {"el", "elle"}, {"et", "ette"},
	{"eau", "elle"}, {"eux", "euse"}, {"oux", "ouse"}, {"aux", "ales"},
	{"er", "euse"}, {"ter", "trice"}, {"et", "ète"}, {"o", "a"},
	{"f", "ve"}, {"f", "ffe"}, {"c", "que"}, {"g", "gue"},
	{"man", "woman"},
	{"e", "esse"},
	{"", "e"},
}

// genderPair reports whether f is a feminine form of the masculine word m:
// by an ending rule, an irregular pair, part by part in a compound
// (Maçon-piscinier / Maçonne-piscinière, cuisinier/pâtissier), after a
// shared elision (d'ingénieur / d'ingénieure), and for plurals.
func genderPair(m, f string) bool {
	m, f = strings.ToLower(m), strings.ToLower(f)
	if m == f {
		return false
	}
	if irregular[m] == f {
		return true
	}
	if mc, ok := strings.CutSuffix(m, ","); ok {
		if fc, ok := strings.CutSuffix(f, ","); ok {
			return genderPair(mc, fc)
		}
	}
	for _, el := range []string{"d'", "l'", "d’", "l’"} {
		if strings.HasPrefix(m, el) && strings.HasPrefix(f, el) {
			return genderPair(m[len(el):], f[len(el):])
		}
	}
	for _, sep := range []string{"-", "/"} {
		mp, fp := strings.Split(m, sep), strings.Split(f, sep)
		if len(mp) > 1 && len(mp) == len(fp) {
			differs := false
			for i := range mp {
				switch {
				case mp[i] == fp[i]:
				case genderPair(mp[i], fp[i]):
					differs = true
				default:
					return false
				}
			}
			return differs
		}
	}
	if strings.HasSuffix(m, "s") && strings.HasSuffix(f, "s") && len(m) > 2 {
		if genderPair(m[:len(m)-1], f[:len(f)-1]) {
			return true
		}
	}
	for _, e := range endings {
		if stem, ok := strings.CutSuffix(m, e[0]); ok && stem != "" && f == stem+e[1] {
			return true
		}
	}
	return false
}

// inlineForms reads the gender forms written inside words: "assistant(e)"
// and "directeur/directrice" (a slash between a word and its feminine),
// returning the masculine and the feminine words. Other words are shared.
func inlineForms(ws []string) (m, f []string) {
	m = make([]string, len(ws))
	f = make([]string, len(ws))
	for i, w := range ws {
		m[i], f[i] = w, w
		if stem, ok := strings.CutSuffix(w, "(e)"); ok && stem != "" {
			m[i], f[i] = stem, stem+"e"
			continue
		}
		if a, b, ok := strings.Cut(w, "/"); ok && !strings.Contains(b, "/") && genderPair(a, b) {
			m[i], f[i] = a, b
		}
	}
	return m, f
}

func equalWords(a, b []string) bool {
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

func startsUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
