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
	var buf []byte
	flush := func() {
		if len(buf) == 0 {
			return
		}
		w := string(buf)
		buf = buf[:0]
		// Elision: l'hôpital, qu'il, jusqu'au.
		if i := strings.IndexByte(w, '\''); i >= 0 {
			if a.articles[w[:i]] {
				w = w[i+1:]
			}
			w = strings.ReplaceAll(w, "'", "")
		}
		if w == "" || a.stop[w] {
			return
		}
		out = append(out, stemFR(w))
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
