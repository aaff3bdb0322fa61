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
		if _, known := vocab[w]; known {
			continue
		}
		budget := fuzziness(w)
		if budget == 0 {
			continue
		}
		best, bestD := "", budget+1
		for v := range vocab {
			d := stageindex.EditDistance(w, v, budget)
			if d <= budget && (d < bestD || (d == bestD && v < best)) {
				best, bestD = v, d
			}
		}
		if best != "" && bestD <= budget {
			words[i], changed = best, true
		}
	}
	if !changed {
		return ""
	}
	return strings.Join(words, " ")
}

// thesaurusWords returns the folded single words of the thesaurus terms.
func (ix *Index) thesaurusWords() map[string]struct{} {
	ix.vocabOnce.Do(func() {
		ix.thesWords = map[string]struct{}{}
		for _, t := range ix.thes.Terms() {
			for _, w := range strings.Fields(stageindex.Fold(t.Text)) {
				if len(w) >= 3 {
					ix.thesWords[w] = struct{}{}
				}
			}
		}
	})
	return ix.thesWords
}
