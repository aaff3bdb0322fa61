package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

// termAnalyzer turns a text into the terms AnalyzerText would give for the
// words classification reads (case and accents folded, elisions, stop
// words and plural/feminine forms as AnalyzerText does them), without
// Bleve's Unicode word segmentation, which took a quarter of the index
// build once every offer was classified by ROME fiche. Classification
// compares these terms only with terms made the same way (the fiches'
// titles and vocabulary), so the two tokenizers need not agree to the
// letter on odd punctuation.
type termAnalyzer struct {
	stop     map[string]bool
	articles map[string]bool
}

func newTermAnalyzer() *termAnalyzer {
	a := &termAnalyzer{stop: map[string]bool{}, articles: map[string]bool{}}
	for _, w := range strings.Fields(textStopWords) {
		a.stop[w] = true
	}
	for _, w := range strings.Fields(frArticles) {
		a.articles[w] = true
	}
	return a
}

// terms appends the terms of text to out.
func (a *termAnalyzer) terms(text string, out []string) []string {
	return a.termsCached(text, out, nil)
}

// maxTermCache bounds a termCache: a few megabytes, more words than the
// texts of a corpus of a million offers use over and over.
const maxTermCache = 50_000

// termCache maps a word as read (folded, before elision, stop words and
// stemming) to its term, "" for none. One goroutine's at a time
// (classScratch): classification read every word of every offer anew, a
// string and a stemming each, though most are the same few thousand words.
// A plain map, not internal/lru: the gain is the lookup m[string(b)],
// which Go makes without converting b (56 → 11 allocations an offer);
// behind a Get method the key would be a new string each time, and one
// goroutine's memo needs neither locks nor eviction (it stops growing).
type termCache map[string]string

// termsCached is terms, looking each word up in cache first and adding
// it there (up to maxTermCache words) when absent; a nil cache is none.
func (a *termAnalyzer) termsCached(text string, out []string, cache termCache) []string {
	var buf []byte
	flush := func() {
		if len(buf) == 0 {
			return
		}
		if t, ok := cache[string(buf)]; ok { // no allocation for the key
			buf = buf[:0]
			if t != "" {
				out = append(out, t)
			}
			return
		}
		read := string(buf)
		buf = buf[:0]
		t := a.term(read)
		if cache != nil && len(cache) < maxTermCache {
			cache[read] = t
		}
		if t != "" {
			out = append(out, t)
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				buf = append(buf, c)
			case 'A' <= c && c <= 'Z':
				buf = append(buf, c+'a'-'A')
			case c == '\'' && len(buf) > 0:
				buf = append(buf, c)
			default:
				flush()
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == '’' || r == 'ʼ':
			if len(buf) > 0 {
				buf = append(buf, '\'')
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f, ok := stageindex.FoldRune(r); ok {
				buf = append(buf, f...)
			} else {
				buf = utf8.AppendRune(buf, unicode.ToLower(r))
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

// term is the term of w, a word as read, or "" when it has none.
func (a *termAnalyzer) term(w string) string {
	// Elision: l'hôpital, qu'il, jusqu'au.
	if i := strings.IndexByte(w, '\''); i >= 0 {
		if a.articles[w[:i]] {
			w = w[i+1:]
		}
		w = strings.ReplaceAll(w, "'", "")
	}
	if w == "" || a.stop[w] {
		return ""
	}
	return stemFR(w)
}
