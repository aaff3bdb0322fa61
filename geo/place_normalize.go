package geo

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

// normKey is the comparison key of a place name: lower case, French
// diacritics and ligatures folded (stageindex.FoldRune), every run of
// other characters (hyphens, apostrophes, dots, parentheses) one space, and
// the abbreviations St, Ste, Sts, Stes spelled out. It is on the load path
// of 35,000 names, hence the ASCII fast path.
func normKey(s string) string {
	b := make([]byte, 0, len(s)+4)
	space := true
	sep := func() {
		if !space {
			b = append(b, ' ')
			space = true
		}
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b = append(b, byte(r))
			space = false
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r)+'a'-'A')
			space = false
		case r < 0x80:
			sep()
		default:
			r = unicode.ToLower(r)
			if f, ok := stageindex.FoldRune(r); ok {
				b = append(b, f...)
				space = false
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b = utf8.AppendRune(b, r)
				space = false
			} else {
				sep()
			}
		}
	}
	if len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	k := string(b)
	if !strings.Contains(k, "st") {
		return k
	}
	words := strings.Split(k, " ")
	changed := false
	for i, w := range words {
		if full, ok := saintAbbrev[w]; ok {
			words[i] = full
			changed = true
		}
	}
	if !changed {
		return k
	}
	return strings.Join(words, " ")
}

var saintAbbrev = map[string]string{"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}

// articles are the leading articles of commune names ("Le Mans", "L'Isle-
// Adam"); a name is also found without them.
var articles = map[string]bool{"le": true, "la": true, "les": true, "l": true}

// compact is a key without spaces, so that "lhay les roses" and "l hay les
// roses" meet.
func compact(k string) string { return strings.ReplaceAll(k, " ", "") }

// stripArticle drops a leading article from a key.
func stripArticle(k string) string {
	if i := strings.IndexByte(k, ' '); i > 0 && articles[k[:i]] {
		return k[i+1:]
	}
	return k
}

// stopWords never start an autocomplete word entry: "sur", "en" alone say
// nothing about a town.
var stopWords = map[string]bool{
	"le": true, "la": true, "les": true, "l": true, "d": true, "de": true, "du": true,
	"des": true, "en": true, "et": true, "sur": true, "sous": true,
	"lez": true, "aux": true, "au": true, "a": true, "arrondissement": true,
}

// wordStarts returns the suffixes of k that start at its second and later
// words ("saint brieuc" → "brieuc"), skipping stop words.
func wordStarts(k string) []string {
	var out []string
	for i := 0; i < len(k); i++ {
		if k[i] != ' ' {
			continue
		}
		rest := k[i+1:]
		w := rest
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			w = rest[:j]
		}
		if len(w) >= 2 && !stopWords[w] {
			out = append(out, rest)
		}
	}
	return out
}

// corsica is the department constraint "20": Corse-du-Sud (2A) or
// Haute-Corse (2B), as in Corsican postcodes and older habits.
const corsica = "20"

// query is a parsed `where` name: the key of the name and, optionally, a
// department or postcode that must contain it.
type query struct {
	key, dept, postcode string
}

// parseName splits "Saint-Denis (974)", "saint denis 93", "Mans (Le)" or
// "Valence (Drôme)" into a name key and a constraint. ok is false when the
// parenthesis holds something that is neither an article, a department nor
// a postcode.
func (g *Gazetteer) parseName(s string) (q query, ok bool) {
	s = strings.TrimSpace(s)
	if open := strings.LastIndexByte(s, '('); open > 0 && strings.HasSuffix(s, ")") {
		inner := strings.TrimSpace(s[open+1 : len(s)-1])
		s = strings.TrimSpace(s[:open])
		ik := normKey(inner)
		switch {
		case articles[ik]:
			s = inner + " " + s
		case isPostcode(inner):
			q.postcode = inner
		default:
			code, found := g.deptCode(inner)
			if !found {
				return q, false
			}
			q.dept = code
		}
	}
	q.key = normKey(s)
	// A trailing or leading department code or postcode after a space.
	words := strings.Split(q.key, " ")
	if _, isArr := arrondissement(q.key); !isArr && len(words) > 1 {
		last := words[len(words)-1]
		if code, found := g.deptCode(last); found && q.dept == "" && isDeptCodeShape(last) {
			q.dept = code
			q.key = strings.Join(words[:len(words)-1], " ")
		} else if isPostcode(last) && q.postcode == "" {
			q.postcode = last
			q.key = strings.Join(words[:len(words)-1], " ")
		} else if isPostcode(words[0]) && q.postcode == "" {
			q.postcode = words[0]
			q.key = strings.Join(words[1:], " ")
		}
	}
	return q, true
}

// deptCode recognises a department given as a code ("93", "2a", "974", "1")
// or a name ("Drôme", "la reunion").
func (g *Gazetteer) deptCode(s string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if len(c) == 1 && c[0] >= '1' && c[0] <= '9' {
		c = "0" + c
	}
	if _, ok := g.deptName[c]; ok || c == corsica {
		return c, true
	}
	k := normKey(s)
	if code, ok := g.deptByKey[k]; ok {
		return code, true
	}
	code, ok := g.deptByKey[stripArticle(k)]
	return code, ok
}

// isDeptCodeShape is true for 2A, 2B, two digits or 97x: a trailing word of
// that shape in a town name is a department.
func isDeptCodeShape(w string) bool {
	switch {
	case len(w) == 2 && (w == "2a" || w == "2b"):
		return true
	case len(w) == 2 && isDigits(w):
		return true
	case len(w) == 3 && strings.HasPrefix(w, "97") && isDigits(w):
		return true
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isPostcode(s string) bool { return len(s) == 5 && isDigits(s) }

// isINSEE is true for the shape of an INSEE commune code: 5 digits, or 2A/2B
// and 3 digits.
func isINSEE(s string) bool {
	if len(s) != 5 {
		return false
	}
	if (s[:2] == "2A" || s[:2] == "2B") && isDigits(s[2:]) {
		return true
	}
	return isDigits(s)
}

// plmCities are the cities split into municipal arrondissements, with the
// INSEE code of arrondissement n and their count.
var plmCities = map[string]struct {
	code  func(n int) string
	count int
}{
	"paris":     {func(n int) string { return "751" + pad2(n) }, 20},
	"marseille": {func(n int) string { return "132" + pad2(n) }, 16},
	"lyon":      {func(n int) string { return "6938" + strconv.Itoa(n) }, 9},
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// arrondissement parses "paris 11e", "paris 11", "lyon 3eme arrondissement",
// "marseille 1er arr" (keys) into the arrondissement's INSEE code. ok is
// true when the key has that shape; code is "" when the number is out of
// range.
func arrondissement(key string) (code string, ok bool) {
	words := strings.Fields(key)
	if len(words) < 2 || len(words) > 3 {
		return "", false
	}
	city, found := plmCities[words[0]]
	if !found {
		return "", false
	}
	if len(words) == 3 && words[2] != "arrondissement" && words[2] != "arr" && words[2] != "arrt" {
		return "", false
	}
	num := words[1]
	for _, suf := range []string{"ieme", "eme", "er", "e"} {
		if strings.HasSuffix(num, suf) {
			num = strings.TrimSuffix(num, suf)
			break
		}
	}
	if len(num) > 2 || !isDigits(num) {
		return "", false // "marseille 13008" is a name and a postcode
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return "", false
	}
	if n < 1 || n > city.count {
		return "", true
	}
	return city.code(n), true
}
