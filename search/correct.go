package search

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

// maxCorrected is how many unknown words of one query correct looks up.
// Each scans the vocabulary (a few milliseconds); a pupil's query has one
// or two typos, and a string of a dozen unknown words is noise that must
// not cost a dozen scans (abusebench's worst query).
const maxCorrected = 4

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
	words := foldedWords(q)
	cw := ix.thes.words()
	var inPhrase map[string]bool // phraseTerms, once a word is unknown
	changed := false
	tried := 0
	for i, w := range words {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if cw.knows(w) {
			continue
		}
		ts := ix.analyze(AnalyzerText, w)
		if len(ts) == 0 {
			continue // a stop word ("stage" is not "sage")
		}
		if inPhrase == nil {
			inPhrase = ix.thes.phraseTerms(q)
		}
		if allIn(ts, inPhrase) {
			continue // a word of a phrase the query holds ("dehors" of "travailler dehors" is no "décors")
		}
		if vw, known := ix.vocab.words[w]; known && vw.count > 0 {
			continue
		}
		budget := fuzziness(w)
		if budget == 0 {
			// A word of four letters misspelt by ear ("epad"): the
			// word that sounds the same one edit away (ehpad). Any
			// other neighbour of a short word is too easily another
			// word, and shorter ones are left as typed. First, though,
			// a known word beside it may make a phrase of the
			// thesaurus with a correction (inPhrase): "sage fame" is
			// "sage femme", not the word that sounds like "fame".
			if tried++; tried > maxCorrected {
				break
			}
			if s := ix.inPhrase(words, i); s != "" {
				words[i], changed = s, true
				continue
			}
			if utf8.RuneCountInString(w) == 4 {
				// A word of the hand-written thesaurus that sounds the
				// same a letter away ("agen" is agent), else the start of
				// a longer one ("boul" is boulanger, not ROME's boule).
				s := ix.soundsLike(w)
				if s != "" && stageindex.EditDistance(w, s, 1) > 1 {
					s = ""
				}
				if _, hand := cw.hand[s]; s == "" || !hand {
					if c := ix.completionOfLast(words, i); c != "" {
						s = c
					}
				}
				if s != "" {
					words[i], changed = s, true
				} else if s := ix.swapped(w); s != "" {
					words[i], changed = s, true
				}
			}
			continue
		}
		if tried++; tried > maxCorrected {
			break // the rest of a string of unknown words stays as typed
		}
		if s := ix.inPhrase(words, i); s != "" && !ix.soundsBetter(w, s) {
			// The word beside it says which correction was meant:
			// "magazin de sport" is a magasin, not a magazine.
			words[i], changed = s, true
			continue
		}
		if s := ix.completionOfLast(words, i); s != "" {
			// Not a typo but the start of a word, cut short as pupils
			// type on a phone: "informat" is informatique, not the
			// "format" two edits away, "electri" an électricien. Only
			// the last word: the one being typed when the pupil sent it.
			words[i], changed = s, true
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
			cw.eachOfLen(n, consider)
			for v := range ix.vocab.byLen[n] {
				if !cw.knows(v) {
					consider(v, false)
				}
			}
		}
		if (best == "" || bestD >= 2 || !bestThes) && len(w) >= 5 {
			// Misspelt by ear ("informatik", "electronik"): a hand-written
			// word that sounds the same beats one two edits away
			// ("information") or a rarer one a letter away (ROME's
			// "electronic").
			if s := ix.soundsLike(w); s != "" {
				best = s
			}
		}
		if best == "" || bestD >= 2 && !bestSound {
			// Two letters swapped ("ephad"): one typo, though two
			// edits.
			if s := ix.swapped(w); s != "" {
				best, bestD = s, 1
			}
		}
		if best == "" && budget == 1 && len(w) >= 6 {
			// A word of six or seven letters misspelt by ear two edits
			// away ("joalier"): one that sounds nearly the same (its key
			// one edit from w's). Longer words have two edits already;
			// shorter ones are too easily a different word.
			best = ix.soundsNear(w, 2)
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

// minCompleted is the fewest letters a word cut short needs to be
// completed (completion): "boul" is boulanger, "inf" could be anything.
const minCompleted = 4

// completion returns the single word of a job, a field or an everyday word
// of the thesaurus that w (folded, unknown) starts, ranked as Suggest ranks
// it (jobs and fields before words, then the most offers found); "" when
// w is too short or starts none. It reads what a pupil cut short as its
// commonest completion, as the suggestions under the search box do; the
// query is then searched as corrected, so it never outranks a word found
// as typed. It reads a sorted list (correctionWords.completions), not
// Suggest's scan of every term, which made the worst query 4.8× slower.
//
// The caller holds ix.mu (read).
func (ix *Index) completion(w string) string {
	if utf8.RuneCountInString(w) < minCompleted {
		return ""
	}
	cw := ix.thes.words()
	for _, end := range []string{"s", "x"} {
		// An inflection of a known word ("ressource" of "ressources
		// humaines") is no word cut short: the typo rules read it.
		if v := w + end; cw.knows(v) || ix.vocab.words[v] != nil && ix.vocab.words[v].count > 0 {
			return ""
		}
	}
	cs := cw.completions
	i, _ := slices.BinarySearchFunc(cs, w, func(c completionWord, w string) int { return strings.Compare(c.word, w) })
	best, bestScore := "", 0.0
	for ; i < len(cs) && strings.HasPrefix(cs[i].word, w); i++ {
		c := cs[i]
		if c.word == w {
			continue
		}
		n := 0
		if vw, ok := ix.vocab.words[c.word]; ok {
			n = vw.count
		}
		if !c.job && n == 0 {
			continue // a word no offer's title has
		}
		if score := c.bonus + math.Log1p(float64(n)); best == "" || score > bestScore {
			best, bestScore = c.word, score
		}
	}
	return best
}

// completionOfLast is the completion of words[i] when it is the last word
// of the query, "" otherwise.
func (ix *Index) completionOfLast(words []string, i int) string {
	if i != len(words)-1 {
		return ""
	}
	return ix.completion(words[i])
}

// completionWord is a single folded word of the thesaurus' terms and the
// bonus Suggest gives it (suggestBonus).
type completionWord struct {
	word  string
	bonus float64
	job   bool // a job or a field, suggested even when no offer has it
}

// completionWords returns the single-word terms of terms, folded, sorted,
// each with its best bonus.
func completionWords(terms []Term) []completionWord {
	byWord := map[string]completionWord{}
	for _, t := range terms {
		k := stageindex.Fold(t.Text)
		if strings.ContainsAny(k, " -'") {
			continue
		}
		c := completionWord{word: k, bonus: suggestBonus(t), job: t.Kind != KindWord}
		if o, ok := byWord[k]; ok {
			c.bonus, c.job = max(c.bonus, o.bonus), c.job || o.job
		}
		byWord[k] = c
	}
	out := make([]completionWord, 0, len(byWord))
	for _, k := range slices.Sorted(maps.Keys(byWord)) {
		out = append(out, byWord[k])
	}
	return out
}

// swapped returns the word w is with two neighbouring letters swapped
// back ("ephad" → ehpad, "mecancien" is no such typo), when that word is
// one of the thesaurus or of the offers' titles; "" when none is. A
// swap is one slip of the fingers, though it is two edits.
//
// The caller holds ix.mu (read).
func (ix *Index) swapped(w string) string {
	cw := ix.thes.words()
	b := []byte(w)
	best := ""
	for i := 0; i+1 < len(b); i++ {
		if b[i] == b[i+1] || b[i] >= utf8.RuneSelf || b[i+1] >= utf8.RuneSelf {
			continue
		}
		b[i], b[i+1] = b[i+1], b[i]
		v := string(b)
		b[i], b[i+1] = b[i+1], b[i]
		known := cw.knows(v)
		if !known {
			vw, ok := ix.vocab.words[v]
			known = ok && vw.count > 0
		}
		if known && (best == "" || v < best) {
			best = v
		}
	}
	return best
}

// phraseEdits is how far a word may be from its correction when a known
// word beside it makes a phrase of the thesaurus with the correction
// (inPhrase): the phrase itself is the evidence that the pupil meant it.
const phraseEdits = 2

// inPhrase returns the correction of words[i], an unknown word, that
// makes a thesaurus phrase with the word before or after it (stop words
// skipped): "sage fame" is "sage femme", "ede a domicile" "aide à
// domicile", though "fame" and "ede" are too short for a typo budget of
// their own; "" when no word within phraseEdits does. The closest in
// spelling wins, then one that sounds the same, then the hand-written
// thesaurus' word.
//
// The caller holds ix.mu (read).
func (ix *Index) inPhrase(words []string, i int) string {
	w := words[i]
	if len(w) < 3 || len(w) > maxFuzzyBytes {
		return ""
	}
	cw := ix.thes.words()
	// The neighbours need not be words of the correction lists: the
	// phrase is checked analysed ("ressource" of "ressource humène" is
	// the singular of a thesaurus word).
	var before, after string
	for j := i - 1; j >= 0 && before == ""; j-- {
		if ts := ix.analyze(AnalyzerText, words[j]); len(ts) > 0 {
			if before = "-"; cw.phraseFirst[ts[len(ts)-1]] {
				before = words[j]
			}
		}
	}
	for j := i + 1; j < len(words) && after == ""; j++ {
		if ts := ix.analyze(AnalyzerText, words[j]); len(ts) > 0 {
			if after = "-"; cw.phraseLast[ts[0]] {
				after = words[j]
			}
		}
	}
	if before == "-" {
		before = ""
	}
	if after == "-" {
		after = ""
	}
	if before == "" && after == "" {
		return ""
	}
	isPhrase := func(text string) bool {
		k := ix.thes.key(text)
		if !strings.Contains(k, " ") {
			return false // a stop word ("très") leaves the neighbour alone
		}
		es, ok := ix.thes.keys[k]
		return ok && slices.ContainsFunc(es, func(e entry) bool { return e.kind != entryIgnore })
	}
	key := phoneticKey(w)
	best, bestD, bestSound, bestHand := "", phraseEdits+1, false, false
	consider := func(v string, hand bool) {
		d := stageindex.EditDistance(w, v, phraseEdits)
		if n := len(v); n > 3 && (v[n-1] == 's' || v[n-1] == 'x') {
			// The lists hold the plural of a phrase's word ("ressources
			// humaines"); the pupil may have typed the singular.
			d = min(d, stageindex.EditDistance(w, v[:n-1], phraseEdits))
		}
		if d > phraseEdits || d == 0 {
			return
		}
		sound := phoneticKey(v) == key
		switch {
		case d != bestD:
			if d > bestD {
				return
			}
		case sound != bestSound:
			if !sound {
				return
			}
		case hand != bestHand:
			if !hand {
				return
			}
		default:
			if best != "" && v >= best {
				return
			}
		}
		if (before == "" || !isPhrase(before+" "+v)) && (after == "" || !isPhrase(v+" "+after)) {
			return
		}
		best, bestD, bestSound, bestHand = v, d, sound, hand
	}
	for n := max(len(w)-phraseEdits, 3); n <= len(w)+phraseEdits+1; n++ {
		cw.eachOfLen(n, consider)
	}
	return best
}

// soundsBetter reports whether a word sounding like w beats s, a phrase's
// correction of w that does not sound like it two edits away: "moket" of
// "pose de moket" is moquette, not the volets of "pose de volets".
func (ix *Index) soundsBetter(w, s string) bool {
	if phoneticKey(s) == phoneticKey(w) || stageindex.EditDistance(w, s, phraseEdits) < phraseEdits {
		return false
	}
	return ix.soundsLike(w) != ""
}

// hasUnknownWord reports whether q has a word correct would try to
// correct: one no thesaurus entry, no offer title and no thesaurus phrase
// the query holds has, not a stop word, long enough for a typo budget (or
// of four letters, which correct reads by ear). It scans nothing: a few
// map lookups.
//
// The caller holds ix.mu (read).
func (ix *Index) hasUnknownWord(q string) bool {
	cw := ix.thes.words()
	var inPhrase map[string]bool
	for _, w := range foldedWords(q) {
		if cw.knows(w) || (fuzziness(w) == 0 && utf8.RuneCountInString(w) != 4) {
			continue
		}
		if vw, known := ix.vocab.words[w]; known && vw.count > 0 {
			continue
		}
		ts := ix.analyze(AnalyzerText, w)
		if len(ts) == 0 {
			continue
		}
		if inPhrase == nil {
			inPhrase = ix.thes.phraseTerms(q)
		}
		if allIn(ts, inPhrase) {
			continue
		}
		return true
	}
	return false
}

// phraseTerms returns the analysed terms of q that belong to a phrase of
// the thesaurus (a key of several terms: a job, a word, an intent, an offer
// phrase) q holds as it is. Such a word is known in its phrase though no
// single-word entry has it: "dehors" of "travailler dehors", an intent,
// was corrected into "décors", and the search found theatres.
func (t *Thesaurus) phraseTerms(q string) map[string]bool {
	terms := t.analyze(q)
	out := map[string]bool{}
	for i := range terms {
		for n := 2; n <= t.maxWords && i+n <= len(terms); n++ {
			k := strings.Join(terms[i:i+n], " ")
			_, isKey := t.keys[k]
			_, isOffer := t.offers[k]
			if isKey || isOffer {
				for _, term := range terms[i : i+n] {
					out[term] = true
				}
			}
		}
	}
	return out
}

// allIn reports whether every term of ts is in set.
func allIn(ts []string, set map[string]bool) bool {
	for _, t := range ts {
		if !set[t] {
			return false
		}
	}
	return len(ts) > 0
}

// soundsLike returns the word that sounds like w (phoneticKey), the
// closest in spelling when several do: a hand-written thesaurus word
// first, then one of ROME's titles and vocabulary; "" when none.
func (ix *Index) soundsLike(w string) string {
	cw := ix.thes.words()
	k := phoneticKey(w)
	if s := closestOf(w, cw.handSounds[k]); s != "" {
		return s
	}
	return closestOf(w, cw.romeSounds[k])
}

// soundsNear returns the word of the thesaurus (hand-written first, then
// ROME's) whose phoneticKey is one edit from w's and whose spelling is
// within limit edits of w, the closest in spelling; "" when none.
func (ix *Index) soundsNear(w string, limit int) string {
	cw := ix.thes.words()
	k := phoneticKey(w)
	for i, sounds := range []map[string][]string{cw.handSounds, cw.romeSounds} {
		byLen := cw.soundKeysByLen[i]
		best, bestD := "", limit+1
		for n := max(len(k)-1, 0); n <= len(k)+1 && n < len(byLen); n++ {
			for _, sk := range byLen[n] {
				if stageindex.EditDistance(k, sk, 1) > 1 {
					continue
				}
				for _, v := range sounds[sk] {
					if d := stageindex.EditDistance(w, v, limit); d < bestD || d == bestD && d <= limit && v < best {
						best, bestD = v, d
					}
				}
			}
		}
		if best != "" {
			return best
		}
	}
	return ""
}

// closestOf returns the word of vs closest to w in spelling, "" for none.
func closestOf(w string, vs []string) string {
	best, bestD := "", 0
	for _, v := range vs {
		d := stageindex.EditDistance(w, v, len(w)+len(v))
		if best == "" || d < bestD || (d == bestD && v < best) {
			best, bestD = v, d
		}
	}
	return best
}

// correctionWords are the words typos are corrected to: the folded
// single words of the hand-written thesaurus (hand, by length and by
// phoneticKey), and those only ROME's titles and vocabulary have (rome, by
// length). Built once per thesaurus, read only.
type correctionWords struct {
	hand       map[string]struct{}
	handByLen  [][]string
	handSounds map[string][]string
	rome       map[string]struct{}
	romeByLen  [][]string
	romeSounds map[string][]string
	// soundKeysByLen are the keys of handSounds ([0]) and romeSounds
	// ([1]) by length, for soundsNear.
	soundKeysByLen [2][][]string
	// phraseFirst and phraseLast are the analysed terms that begin or
	// end a thesaurus key of several terms: inPhrase scans for a
	// correction only beside one of them.
	phraseFirst, phraseLast map[string]bool
	// completions are the single words of the terms, sorted, for
	// completion.
	completions []completionWord
}

// eachOfLen calls fn with every word of n bytes, hand-written ones first
// (hand true).
func (cw *correctionWords) eachOfLen(n int, fn func(v string, hand bool)) {
	if n < len(cw.handByLen) {
		for _, v := range cw.handByLen[n] {
			fn(v, true)
		}
	}
	if n < len(cw.romeByLen) {
		for _, v := range cw.romeByLen[n] {
			fn(v, false)
		}
	}
}

// knows reports whether w (folded) is a word of the thesaurus, hand-written
// or ROME's.
func (c *correctionWords) knows(w string) bool {
	_, hand := c.hand[w]
	_, fromROME := c.rome[w]
	return hand || fromROME
}

// foldedWords are the words of q, folded, split at whatever is not a
// letter or a digit: the words correct and admit look up.
func foldedWords(q string) []string {
	return strings.FieldsFunc(stageindex.Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// words returns the thesaurus' correction words, built on first use.
func (t *Thesaurus) words() *correctionWords {
	t.wordsOnce.Do(func() {
		c := &correctionWords{hand: map[string]struct{}{}, handSounds: map[string][]string{}, rome: map[string]struct{}{}, romeSounds: map[string][]string{}}
		addLen := func(byLen *[][]string, w string) {
			for len(*byLen) <= len(w) {
				*byLen = append(*byLen, nil)
			}
			(*byLen)[len(w)] = append((*byLen)[len(w)], w)
		}
		for _, pass := range []bool{false, true} { // hand-written first
			for _, term := range t.terms {
				if (term.ROME != "") != pass {
					continue
				}
				for _, w := range strings.Fields(stageindex.Fold(term.Text)) {
					if len(w) < 3 {
						continue
					}
					if _, ok := c.hand[w]; ok {
						continue
					}
					if !pass {
						c.hand[w] = struct{}{}
						k := phoneticKey(w)
						c.handSounds[k] = append(c.handSounds[k], w)
						addLen(&c.handByLen, w)
					} else if _, ok := c.rome[w]; !ok {
						c.rome[w] = struct{}{}
						addLen(&c.romeByLen, w)
						k := phoneticKey(w)
						c.romeSounds[k] = append(c.romeSounds[k], w)
					}
				}
			}
		}
		for i, sounds := range []map[string][]string{c.handSounds, c.romeSounds} {
			for _, k := range slices.Sorted(maps.Keys(sounds)) {
				addLen(&c.soundKeysByLen[i], k)
			}
		}
		c.phraseFirst, c.phraseLast = map[string]bool{}, map[string]bool{}
		for k := range t.keys {
			if i := strings.IndexByte(k, ' '); i > 0 {
				c.phraseFirst[k[:i]] = true
				c.phraseLast[k[strings.LastIndexByte(k, ' ')+1:]] = true
			}
		}
		c.completions = completionWords(t.terms)
		t.correction = c
	})
	return t.correction
}
