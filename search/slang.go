package search

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

//go:embed slang.txt
var slangFile []byte

// parseSlang reads slang.txt: "word: standard" lines, # comments. The word
// is one word, stored folded; errors name the line.
func parseSlang(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for n, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		word, std, ok := strings.Cut(line, ":")
		word, std = stageindex.Fold(strings.TrimSpace(word)), strings.TrimSpace(std)
		if !ok || word == "" || std == "" || len(foldedWords(word)) != 1 || foldedWords(word)[0] != word {
			return nil, fmt.Errorf("search: slang.txt:%d: want \"word: standard\", one word before the colon", n+1)
		}
		if _, dup := out[word]; dup {
			return nil, fmt.Errorf("search: slang.txt:%d: %q twice", n+1, word)
		}
		out[word] = std
	}
	return out, nil
}

// readSlang returns q with every word of slang replaced by the standard
// words it means, q itself when it has none. It is done before anything
// else reads the query: offers and the thesaurus speak the standard
// words, and a slang word left as typed is unknown, so typo correction
// would turn it into whatever word is a letter or two away ("thune" →
// "tuner", "bouquins" → "bouquets").
func (t *Thesaurus) readSlang(q string) string {
	if t == nil || len(t.slang) == 0 {
		return q
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if !isWordRune(r) {
			b.WriteString(q[i : i+size])
			i += size
			continue
		}
		j := i
		for j < len(q) {
			r, size := utf8.DecodeRuneInString(q[j:])
			if !isWordRune(r) {
				break
			}
			j += size
		}
		if std, ok := t.slang[stageindex.Fold(q[i:j])]; ok {
			b.WriteString(std)
			changed = true
		} else {
			b.WriteString(q[i:j])
		}
		i = j
	}
	if !changed {
		return q
	}
	return b.String()
}

// isWordRune is what foldedWords keeps together.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
