package stageindex

import (
	"unicode"
	"unicode/utf8"
	"unsafe"
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
	b := AppendFold(make([]byte, 0, len(s)), s)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is never written again
}

// AppendFold appends Fold(s) to dst: a caller folding word after word
// into one buffer (a reopened index folds every title's) allocates
// nothing, looking its keys up with m[string(buf)].
func AppendFold(dst []byte, s string) []byte {
	start := len(dst)
	space := true
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			// ASCII, most of the text: FoldRune has nothing to strip.
			i++
			switch {
			case c == ' ' || c == '-' || c == '\'' || c == '\t' || c == '_' || c == '\n':
				if !space {
					dst = append(dst, ' ')
					space = true
				}
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			space = false
			dst = append(dst, c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == '’' {
			if !space {
				dst = append(dst, ' ')
				space = true
			}
			continue
		}
		space = false
		if f, ok := FoldRune(r); ok {
			dst = append(dst, f...)
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
	}
	for len(dst) > start && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}
