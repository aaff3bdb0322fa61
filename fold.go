package stageindex

import (
	"strings"
	"unicode"
)

// FoldRune returns the ASCII letters r folds to once lowercased and
// stripped of its diacritics ("É" → "e", "œ" → "oe", "ß" → "ss"), and false
// for a rune with nothing to strip (ASCII, other scripts, punctuation). It
// is the project's one folding table: the analyzers, highlighting, names
// (Fold) and the gazetteer all go through it, so that a word folded in one
// place is found folded the same way in another.
func FoldRune(r rune) (string, bool) {
	if r < 0x80 {
		return "", false
	}
	switch unicode.ToLower(r) {
	case 'à', 'â', 'ä', 'á', 'ã', 'å':
		return "a", true
	case 'ç':
		return "c", true
	case 'é', 'è', 'ê', 'ë':
		return "e", true
	case 'î', 'ï', 'í', 'ì':
		return "i", true
	case 'ô', 'ö', 'ó', 'ò', 'õ', 'ø':
		return "o", true
	case 'ù', 'û', 'ü', 'ú':
		return "u", true
	case 'ÿ', 'ý':
		return "y", true
	case 'ñ':
		return "n", true
	case 'œ':
		return "oe", true
	case 'æ':
		return "ae", true
	case 'ß':
		return "ss", true
	}
	return "", false
}

// Fold lowercases s, strips diacritics (FoldRune) and collapses runs of
// spaces, hyphens and apostrophes into one space. It is the key used to
// compare names typed by people (sectors, towns, suggestions).
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch r {
		case ' ', '-', '\'', '’', '\t', '_', '\n':
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		if f, ok := FoldRune(r); ok {
			b.WriteString(f)
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return strings.TrimRight(b.String(), " ")
}
