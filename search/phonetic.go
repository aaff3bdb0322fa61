package search

import "strings"

// phoneticKey reduces a folded word (lowercase, no accents) to how French
// sounds it, roughly: pupils misspell by ear ("informatik", "militere",
// "flerist"), past the two edits typo tolerance allows. The rules are the
// spellings that sound alike in French and that pupils swap.
func phoneticKey(w string) string {
	// Endings that sound "é": boulanger, boulangé, boulangez.
	for _, end := range [...]string{"er", "ez", "et"} {
		if len(w) > len(end)+2 && strings.HasSuffix(w, end) {
			w = w[:len(w)-len(end)] + "e"
			break
		}
	}
	for _, r := range phoneticRules {
		w = strings.ReplaceAll(w, r[0], r[1])
	}
	// Silent final letters: "fleuriste" and "flerist" both end in "ris".
	for len(w) > 3 && strings.ContainsRune("edstxz", rune(w[len(w)-1])) {
		w = w[:len(w)-1]
	}
	// Doubled letters sound single.
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] {
			continue
		}
		b.WriteByte(w[i])
	}
	return b.String()
}

// phoneticRules rewrite letter groups that sound alike, longest first; they
// are applied in order, so later rules see earlier results.
// "ch" becomes "S" first, so that it is not read as a hard c.
//
// "tion" sounds "sion" (resepsioniste, réceptionniste); "aill", "eill"
// before a vowel sound as "ay", "ey" (raillon, rayon; survayant,
// surveillant; not before i: joaillier), and "y" is read as "i" before
// the vowel groups, so that "ay" and "ai" meet. "m" before "p" or "b"
// sounds as "n" does (a nasal vowel), and the "p" of "mpt" is silent:
// "contable" is comptable, "anbulance" ambulance.
var phoneticRules = [...][2]string{
	{"sch", "S"}, {"ch", "S"}, {"sh", "S"},
	{"mpt", "nt"}, {"mp", "np"}, {"mb", "nb"},
	{"eaux", "o"}, {"eau", "o"}, {"aux", "o"}, {"au", "o"},
	{"que", "k"}, {"qu", "k"}, {"ck", "k"}, {"ph", "f"},
	{"tion", "sion"},
	{"ce", "se"}, {"ci", "si"}, {"cy", "si"}, {"c", "k"},
	{"ge", "je"}, {"gi", "ji"}, {"gu", "g"},
	{"ailla", "aia"}, {"aille", "aie"}, {"aillo", "aio"},
	{"eilla", "eia"}, {"eille", "eie"}, {"eillo", "eio"}, {"y", "i"},
	{"oeu", "e"}, {"ai", "e"}, {"ei", "e"}, {"eu", "e"},
	{"h", ""}, {"w", "v"},
}
