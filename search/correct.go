package search

import (
	"strings"
	"unicode"

	"github.com/stageindex/stageindex"
)

// correct rewrites q with each unknown word replaced by the closest word of
// the thesaurus vocabulary (jobs, fields, everyday words), within the typo
// budget of fuzziness. It returns "" when nothing was corrected. Pupils
// misspell job names ("veterinere") far more than anything else, and job
// names are what the thesaurus holds; a correction is only used when the
// query found nothing as typed.
func (ix *Index) correct(q string) string {
	words := strings.FieldsFunc(stageindex.Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	vocab := ix.thesaurusWords()
	changed := false
	for i, w := range words {
		if _, known := vocab[w]; known || len(ix.analyze(AnalyzerText, w)) == 0 {
			continue // a known word, or a stop word ("stage" is not "sage")
		}
		budget := fuzziness(w)
		if budget == 0 {
			continue
		}
		best, bestD := "", budget+1
		// Only words within budget bytes of w's length can be within
		// budget edits of it.
		for n := max(len(w)-budget, 0); n <= len(w)+budget && n < len(ix.thesByLen); n++ {
			for _, v := range ix.thesByLen[n] {
				d := stageindex.EditDistance(w, v, budget)
				if d <= budget && (d < bestD || (d == bestD && v < best)) {
					best, bestD = v, d
				}
			}
		}
		if (best == "" || bestD >= 2) && len(w) >= 5 {
			// Misspelt by ear ("informatik"): a word that sounds the same
			// beats one two edits away ("information").
			if s := ix.soundsLike(w); s != "" {
				best = s
			}
		}
		if best != "" {
			words[i], changed = best, true
		}
	}
	if !changed {
		return ""
	}
	return strings.Join(words, " ")
}

// soundsLike returns the thesaurus word that sounds like w (phoneticKey),
// the closest in spelling when several do; "" when none.
func (ix *Index) soundsLike(w string) string {
	ix.thesaurusWords()
	best, bestD := "", 0
	for _, v := range ix.thesSounds[phoneticKey(w)] {
		d := stageindex.EditDistance(w, v, len(w)+len(v))
		if best == "" || d < bestD || (d == bestD && v < best) {
			best, bestD = v, d
		}
	}
	return best
}

// thesaurusWords returns the folded single words of the thesaurus terms,
// and fills ix.thesSounds along.
func (ix *Index) thesaurusWords() map[string]struct{} {
	ix.vocabOnce.Do(func() {
		ix.thesWords = map[string]struct{}{}
		ix.thesSounds = map[string][]string{}
		for _, t := range ix.thes.Terms() {
			for _, w := range strings.Fields(stageindex.Fold(t.Text)) {
				if _, seen := ix.thesWords[w]; len(w) >= 3 && !seen {
					ix.thesWords[w] = struct{}{}
					k := phoneticKey(w)
					ix.thesSounds[k] = append(ix.thesSounds[k], w)
					for len(ix.thesByLen) <= len(w) {
						ix.thesByLen = append(ix.thesByLen, nil)
					}
					ix.thesByLen[len(w)] = append(ix.thesByLen[len(w)], w)
				}
			}
		}
	})
	return ix.thesWords
}
