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
			d := levenshtein(w, v, budget+1)
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

// levenshtein returns the edit distance of a and b, or max when it is at
// least max (the caller only cares about close words).
func levenshtein(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= max {
			return max
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], max)
}
