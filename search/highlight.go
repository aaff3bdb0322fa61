package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/stageindex/stageindex"
)

// prefixKey is the first three letters of a word, lowercased and without
// accents. Stemming only strips suffixes, so a word can only match a query
// term that shares its prefixKey: the analyzer runs on those words alone.
type prefixKey [3]rune

func keyOf(s string) prefixKey {
	var k prefixKey
	if len(s) >= 3 && s[0]|s[1]|s[2] < utf8.RuneSelf {
		// Most words start with three ASCII letters or digits.
		for i := range k {
			c := rune(s[i])
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			k[i] = c
		}
		return k
	}
	return keyOfRunes(s)
}

// keyOfRunes is keyOf folding rune by rune (stageindex.FoldRune): for
// short words and those whose first three characters are not all ASCII. A
// ligature counts as its letters, so "Œnologue" keys as "oen", as the
// analysed term "oenologue" does.
func keyOfRunes(s string) prefixKey {
	var k prefixKey
	i := 0
	put := func(r rune) {
		if i < len(k) {
			k[i] = r
			i++
		}
	}
	for _, r := range s {
		if i == len(k) {
			break
		}
		if f, ok := stageindex.FoldRune(r); ok {
			for _, c := range f {
				put(c)
			}
		} else {
			put(unicode.ToLower(r))
		}
	}
	return k
}

// keySet is the prefix keys of a query's highlight terms.
type keySet struct {
	keys map[prefixKey]bool
	// ascii marks the ASCII first letters of the keys: a word starting
	// with any other ASCII character has a key whose first letter is that
	// character, lowercased, and so is out without a map lookup (most
	// words of a hit are; the lookups were a fifth of highlighting).
	ascii [2]uint64
}

// highlightKeys returns the prefix keys of highlight terms.
func highlightKeys(terms map[string]bool) keySet {
	ks := keySet{keys: make(map[prefixKey]bool, len(terms))}
	for t := range terms {
		k := keyOf(t)
		ks.keys[k] = true
		if c := k[0]; c < utf8.RuneSelf {
			ks.ascii[c>>6] |= 1 << (c & 63)
		}
	}
	return ks
}

// has reports whether word's prefix key is one of ks.
func (ks *keySet) has(word string) bool {
	if c := word[0]; c < utf8.RuneSelf {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if ks.ascii[c>>6]&(1<<(c&63)) == 0 {
			return false
		}
	}
	return ks.keys[keyOf(word)]
}

// highlight cuts text into plain segments, marking the words whose analysed
// form the query asked for (literally or through the thesaurus), so that
// "Boulangère" is marked for "boulanger". Words are cut at every character
// that is not a letter or a digit, which also splits elisions (l'hôpital).
//
// Segments are appended to *arena, shared by the hits of a page so that
// they are allocated together; the result is the part of it they fill.
func (ix *Index) highlight(text string, p *textQuery, arena *[]stageindex.Segment) []stageindex.Segment {
	a := ix.mapping.AnalyzerNamed(AnalyzerText)
	keys := &p.hlKeys
	start := len(*arena)
	segs := *arena
	defer func() { *arena = segs }()
	emit := func(s string, match bool) {
		if s == "" {
			return
		}
		if n := len(segs); n > start && segs[n-1].Match == match {
			segs[n-1].Text += s
			return
		}
		segs = append(segs, stageindex.Segment{Text: s, Match: match})
	}
	pos := 0 // text[:pos] is emitted
	for i := 0; i < len(text); {
		if size := wordRuneLen(text, i); size <= 0 {
			i += -size
			continue
		}
		j := i
		for j < len(text) {
			// ASCII inline: this loop sees every byte of every hit's text.
			if c := text[j]; c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				j++
				continue
			}
			size := wordRuneLen(text, j)
			if size <= 0 {
				break
			}
			j += size
		}
		word := text[i:j]
		if a != nil && keys.has(word) && p.wordMatches(word, a) {
			emit(text[pos:i], false)
			emit(word, true)
			pos = j
		}
		i = j
	}
	emit(text[pos:], false)
	if len(segs) == start {
		return []stageindex.Segment{}
	}
	return segs[start:len(segs):len(segs)]
}

// asciiWord marks ASCII letters and digits. It is filled once, only read.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'
	}
	return t
}()

// wordRuneLen returns the byte length of the rune at text[i:] when it is a
// letter or a digit, and minus that length otherwise: words are cut at
// anything else.
func wordRuneLen(text string, i int) int {
	if c := text[i]; c < utf8.RuneSelf {
		if asciiWord[c] {
			return 1
		}
		return -1
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return size
	}
	return -size
}

// wordMatches reports whether word, analysed, is a highlight term of p.
// Hits of one search repeat the same words ("boulanger" in thirty titles),
// so the answers are kept for the rest of the search.
func (p *textQuery) wordMatches(word string, a analysis.Analyzer) bool {
	if m, ok := p.hlWords[word]; ok {
		return m
	}
	m := false
	for _, t := range a.Analyze([]byte(word)) {
		if p.highlight[string(t.Term)] {
			m = true
			break
		}
	}
	if p.hlWords == nil {
		p.hlWords = map[string]bool{}
	}
	p.hlWords[word] = m
	return m
}
