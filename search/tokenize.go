package search

import (
	"fmt"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// TokenizerWords is the tokenizer of both analyzers: Unicode word
// segmentation (UAX #29), as bleve's "unicode" tokenizer does it, with a
// fast path for the text offers and queries are written in.
const TokenizerWords = "stageindex_words"

func init() {
	// Registering by name is bleve's extension mechanism: an index
	// reopened from disk finds the tokenizer the same way.
	err := registry.RegisterTokenizer(TokenizerWords, func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
		return wordTokenizer{fallback: unicode.NewUnicodeTokenizer()}, nil
	})
	if err != nil {
		panic(fmt.Sprintf("search: register %s: %v", TokenizerWords, err))
	}
}

// wordTokenizer splits text into words exactly as bleve's unicode
// tokenizer does (TestWordTokenizerMatchesUnicode), but on text made only
// of ASCII, Latin-1 letters, œ and the usual French punctuation it applies
// the word-boundary rules directly instead of running the general
// segmenter: that segmenter was a sixth of a bulk Apply's CPU and a fifth
// of its allocations (BenchmarkApplyBulk profile). Any other character
// sends the whole text to the general tokenizer.
type wordTokenizer struct {
	fallback analysis.Tokenizer
}

// Word-break classes of UAX #29 for the characters of the fast path.
const (
	wbOther     = iota // breaks on both sides
	wbLetter           // ALetter
	wbNumeric          // Numeric
	wbExtendNum        // ExtendNumLet: '_'
	wbMidLetter        // MidLetter: ':' '·'
	wbMidNumLet        // MidNumLetQ: '.' '\'' '‘' '’'
	wbMidNum           // MidNum: ',' ';'
	wbUnknown          // not in the fast path's alphabet
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[c] = wbLetter
		case c >= '0' && c <= '9':
			t[c] = wbNumeric
		}
	}
	t['_'] = wbExtendNum
	t[':'] = wbMidLetter
	t['.'], t['\''] = wbMidNumLet, wbMidNumLet
	t[','], t[';'] = wbMidNum, wbMidNum
	return t
}()

// wordClass is the class of the character at the start of s and its
// length in bytes.
func wordClass(s []byte) (uint8, int) {
	c := s[0]
	if c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRune(s)
	switch {
	case r >= 0xC0 && r <= 0xFF && r != 0xD7 && r != 0xF7, // À–ÿ but × ÷
		r == 0xAA, r == 0xB5, r == 0xBA, // ª µ º
		r == 'œ', r == 'Œ':
		return wbLetter, n
	case r == 0xB7: // ·, inclusive writing: salarié·e·s
		return wbMidLetter, n
	case r == '’', r == '‘':
		return wbMidNumLet, n
	case r == 0xA0, r == 0xAB, r == 0xBB, r == 0xB0, // no-break space « » °
		r == '–', r == '—', r == '…', r == '€', r == '•', r == '“', r == '”':
		return wbOther, n
	}
	return wbUnknown, n
}

// isWordClass reports whether a character of class c starts or extends
// a word by itself (WB5, WB8–WB10, WB13a, WB13b).
func isWordClass(c uint8) bool {
	return c == wbLetter || c == wbNumeric || c == wbExtendNum
}

// joins reports whether mid, between a character of class prev and one
// of class next, stays inside the word (WB6, WB7, WB11, WB12).
func joins(prev, mid, next uint8) bool {
	switch {
	case prev == wbLetter && next == wbLetter:
		return mid == wbMidLetter || mid == wbMidNumLet
	case prev == wbNumeric && next == wbNumeric:
		return mid == wbMidNum || mid == wbMidNumLet
	}
	return false
}

func (w wordTokenizer) Tokenize(input []byte) analysis.TokenStream {
	var buf [3 * 256]int32
	spans, ok := wordSpans(input, buf[:0])
	if !ok {
		return w.fallback.Tokenize(input)
	}
	// One allocation for the tokens and one for the stream.
	tokens := make([]analysis.Token, len(spans)/3)
	out := make(analysis.TokenStream, len(tokens))
	for i := range tokens {
		start, end := int(spans[3*i]), int(spans[3*i+1])
		t := &tokens[i]
		t.Term = input[start:end:end]
		t.Start, t.End, t.Position = start, end, i+1
		t.Type = analysis.Numeric
		if spans[3*i+2] != 0 {
			t.Type = analysis.AlphaNumeric
		}
		out[i] = t
	}
	return out
}

// wordSpans appends the start and end offsets of every word of s to
// spans, and 0 after them for a number (digits and no letter), else 1; or it reports false when s holds a character outside the fast
// path's alphabet.
func wordSpans(s []byte, spans []int32) ([]int32, bool) {
	i := 0
	for i < len(s) {
		c, n := wordClass(s[i:])
		if c == wbUnknown {
			return spans, false
		}
		if !isWordClass(c) {
			i += n
			continue
		}
		start, prev := i, c
		letter, digit := c == wbLetter, c == wbNumeric
		i += n
		for i < len(s) {
			c, n := wordClass(s[i:])
			if c == wbUnknown {
				return spans, false
			}
			if isWordClass(c) {
				letter, digit = letter || c == wbLetter, digit || c == wbNumeric
				prev, i = c, i+n
				continue
			}
			if c == wbOther || i+n >= len(s) {
				break
			}
			next, m := wordClass(s[i+n:])
			if next == wbUnknown {
				return spans, false
			}
			if !joins(prev, c, next) {
				break
			}
			letter, digit = letter || next == wbLetter, digit || next == wbNumeric
			prev, i = next, i+n+m
		}
		alnum := int32(0)
		if letter || !digit { // the segmenter's Number: digits, no letter
			alnum = 1
		}
		spans = append(spans, int32(start), int32(i), alnum)
	}
	return spans, true
}
