package search

import (
	"context"
	"strings"
	"unicode"

	"github.com/stageindex/stageindex"
)

// correct rewrites q with each unknown word replaced by the closest known
// word within the typo budget of fuzziness: a word of the thesaurus (jobs,
// fields, everyday words) or of the offers' titles. It returns "" when
// nothing was corrected. Pupils misspell job names ("veterinere") far more
// than anything else; a correction is only searched when the query found
// nothing as typed. At equal distance a word that sounds the same wins,
// then a thesaurus word (it is what pupils look for), then the word more
// offers use. This replaces Bleve's
// fuzzy queries, which built a Levenshtein automaton per term in every
// shard: 0.5 s for a query of twelve rare words over a hundred shards.
//
// The caller holds ix.mu (read): the titles' vocabulary changes with Apply.
func (ix *Index) correct(ctx context.Context, q string) (string, error) {
	words := strings.FieldsFunc(stageindex.Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	thes := ix.thesaurusWords()
	changed := false
	for i, w := range words {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if _, known := thes[w]; known || len(ix.analyze(AnalyzerText, w)) == 0 {
			continue // a known word, or a stop word ("stage" is not "sage")
		}
		if vw, known := ix.vocab.words[w]; known && vw.count > 0 {
			continue
		}
		budget := fuzziness(w)
		if budget == 0 {
			continue
		}
		best, bestD, bestSound, bestThes, bestCount := "", budget+1, false, false, 0
		key := phoneticKey(w)
		consider := func(v string, inThes bool) {
			d := stageindex.EditDistance(w, v, budget)
			if d > budget {
				return
			}
			count := 0
			if vw, ok := ix.vocab.words[v]; ok {
				count = vw.count
			}
			// At equal distance: the word that sounds the same ("pompié"
			// is pompier, not pompe), a thesaurus word, the commoner one.
			sound := phoneticKey(v) == key
			var better bool
			switch {
			case d != bestD:
				better = d < bestD
			case sound != bestSound:
				better = sound
			case inThes != bestThes:
				better = inThes
			case count != bestCount:
				better = count > bestCount
			default:
				better = v < best
			}
			if better {
				best, bestD, bestSound, bestThes, bestCount = v, d, sound, inThes, count
			}
		}
		// Only words within budget bytes of w's length can be within
		// budget edits of it.
		for n := max(len(w)-budget, 0); n <= len(w)+budget; n++ {
			if n < len(ix.thesByLen) {
				for _, v := range ix.thesByLen[n] {
					consider(v, true)
				}
			}
			for v := range ix.vocab.byLen[n] {
				if _, inThes := thes[v]; !inThes {
					consider(v, false)
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
		return "", nil
	}
	return strings.Join(words, " "), nil
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
