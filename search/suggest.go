package search

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

// vocab counts the words of searchable offers' titles, by folded form, so
// that suggestions can offer words that really find offers, spelt as the
// offers spell them.
//
// It is also the offers' half of the typo corrector's vocabulary (correct):
// byLen indexes the single words by their length in bytes, so that a
// misspelt word is compared only with words of a close length.
type vocab struct {
	words map[string]*vocabWord
	byLen map[int]map[string]struct{}
	// scratch and fold are add's list of a title's words and folded
	// word, reused from title to title (a vocab has one writer at a time).
	scratch []titleWord
	fold    []byte
}

type vocabWord struct {
	text  string
	count int
	// proper counts the titles where the word is capitalised but does not
	// start the title: a name (a town, an employer), not a word to suggest.
	proper int
}

func newVocab() *vocab {
	return &vocab{words: map[string]*vocabWord{}, byLen: map[int]map[string]struct{}{}}
}

// titleWord is a distinct word of a title worth suggesting; proper when
// it is capitalised inside the title (Boult-sur-Suippe, Carrefour).
type titleWord struct {
	text   string
	proper bool
}

// appendTitleWords appends to out the distinct words of a title worth
// suggesting.
func appendTitleWords(out []titleWord, title string) []titleWord {
	// Without a map of seen words nor an upper-cased copy of each: every
	// offer's title passes here when an index is built or reopened.
	base := len(out)
	i := 0
	for w := range strings.FieldsFuncSeq(title, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }) {
		first := i == 0
		i++
		w = strings.Trim(w, "-")
		if utf8.RuneCountInString(w) < 4 || slices.ContainsFunc(out[base:], func(tw titleWord) bool { return tw.text == w }) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(w)
		// An acronym or a title in capitals says nothing.
		upper := !strings.ContainsFunc(w, unicode.IsLower)
		out = append(out, titleWord{w, !first && unicode.IsUpper(r) && !upper})
	}
	return out
}

func (v *vocab) add(title string, delta int) {
	v.scratch = appendTitleWords(v.scratch[:0], title)
	for _, tw := range v.scratch {
		w := tw.text
		// Folded into a buffer and looked up without a string: a new
		// word alone costs a copy.
		v.fold = stageindex.AppendFold(v.fold[:0], w)
		vw, ok := v.words[string(v.fold)]
		if !ok {
			if delta < 0 {
				continue
			}
			// Copies: the title may point into the offer store, whose
			// chunks a held word would keep alive after a rewrite.
			k := string(v.fold)
			text := strings.ToLower(w)
			if text == k {
				text = k // one copy for both
			} else {
				text = strings.Clone(text)
			}
			vw = &vocabWord{text: text}
			v.words[k] = vw
			if !strings.Contains(k, " ") {
				if v.byLen[len(k)] == nil {
					v.byLen[len(k)] = map[string]struct{}{}
				}
				v.byLen[len(k)][k] = struct{}{}
			}
		}
		vw.count += delta
		if tw.proper {
			vw.proper += delta
		}
		if vw.count <= 0 {
			delete(v.words, string(v.fold))
			delete(v.byLen[len(v.fold)], string(v.fold))
		}
	}
	clear(v.scratch) // its words point into title, maybe into the store
}

// merge adds the counts of o, whose words become v's; o must not be used
// after. Merging the vocabularies of a set of titles in turn gives what
// adding the titles one by one in the same order gives: a word keeps the
// spelling of its first title.
func (v *vocab) merge(o *vocab) {
	for k, ow := range o.words {
		vw, ok := v.words[k]
		if !ok {
			v.words[k] = ow
			if !strings.Contains(k, " ") {
				if v.byLen[len(k)] == nil {
					v.byLen[len(k)] = map[string]struct{}{}
				}
				v.byLen[len(k)][k] = struct{}{}
			}
			continue
		}
		vw.count += ow.count
		vw.proper += ow.proper
	}
}

// Suggest completes what a pupil is typing with jobs and fields of the
// thesaurus and words of the offers. A suggestion ranks by how many offers
// it finds, jobs and fields first at equal reach, since they are what pupils
// look for; what finds nothing is not suggested, except thesaurus jobs.
func (ix *Index) Suggest(q string, limit int) []stageindex.Suggestion {
	key := stageindex.Fold(q)
	if len([]rune(key)) < 2 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.suggest(key, limit, ix.vocab)
}

// suggest ranks the completions of key (folded) with the word counts of v;
// the caller holds ix.mu (read).
func (ix *Index) suggest(key string, limit int, v *vocab) []stageindex.Suggestion {
	type cand struct {
		s     stageindex.Suggestion
		score float64
	}
	seen := map[string]int{}
	var cands []cand
	add := func(s stageindex.Suggestion, bonus float64) {
		k := stageindex.Fold(s.Text)
		score := bonus + math.Log1p(float64(s.Count))
		if k == key {
			score += 2
		}
		if i, ok := seen[k]; ok {
			if score > cands[i].score {
				cands[i].score = score
			}
			if s.Count > cands[i].s.Count {
				cands[i].s.Count = s.Count
			}
			return
		}
		seen[k] = len(cands)
		cands = append(cands, cand{s, score})
	}
	for _, t := range ix.thes.Terms() {
		if !prefixOfWord(stageindex.Fold(t.Text), key) {
			continue
		}
		n := 0
		if w, ok := v.words[stageindex.Fold(t.Text)]; ok {
			n = w.count
		}
		add(stageindex.Suggestion{Text: t.Text, Kind: t.Kind, Field: t.Field, Count: n}, suggestBonus(t))
	}
	for k, w := range v.words {
		// A word offers mostly write as a name (a town, an employer) is no
		// trade to suggest: "boul" is boulanger, not Boult-sur-Suippe.
		if strings.HasPrefix(k, key) && 2*w.proper <= w.count {
			add(stageindex.Suggestion{Text: w.text, Kind: KindWord, Count: w.count}, 0)
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.s.Text, b.s.Text)
	})
	out := make([]stageindex.Suggestion, 0, min(limit, len(cands)))
	for _, c := range cands[:min(limit, len(cands))] {
		out = append(out, c.s)
	}
	return out
}

// suggestBonus is what a thesaurus term adds to a suggestion's score (and
// to a completion's, completion): jobs and fields 1.5, everyday words 0.5,
// plus its popularity.
func suggestBonus(t Term) float64 {
	bonus := 1.5
	if t.Kind == KindWord {
		bonus = 0.5
	}
	return bonus + float64(t.Popularity)/100
}

// prefixOfWord reports whether key starts s or one of its words.
func prefixOfWord(s, key string) bool {
	if strings.HasPrefix(s, key) {
		return true
	}
	return strings.Contains(s, " "+key)
}

// Stats counts the searchable offers by department, track and sector.
func (ix *Index) Stats() stageindex.Stats { return ix.StatsIn(nil) }

// StatsIn is Stats counting only the offers of the départements in allowed
// (a partner key's); nil counts every offer, like Stats.
//
// Counting reads every offer (a few milliseconds at 100k), so the answer
// is kept until the index changes or the minute turns (offers appear and
// expire with time alone): /api/v1/stats then costs a map lookup. The maps
// of a kept answer are shared and must not be modified.
func (ix *Index) StatsIn(allowed []string) stageindex.Stats {
	now := ix.cfg.Now().Unix()
	key := statsKey{gen: ix.gen.Load(), minute: now / 60, allowed: strings.Join(allowed, ",")}
	if allowed == nil {
		key.allowed = "*"
	}
	if st, ok := ix.stats.Get(key); ok {
		return st
	}
	st := ix.countStats(allowed, now)
	ix.stats.Put(key, st)
	return st
}

// statsKey identifies a kept StatsIn answer.
type statsKey struct {
	gen     uint64
	minute  int64
	allowed string
}

func statsSize(k statsKey, st stageindex.Stats) int {
	return 256 + len(k.allowed) + 48*(len(st.Departments)+len(st.Tracks)+len(st.Sectors))
}

// countStats counts the searchable offers at now in allowed (nil: all).
func (ix *Index) countStats(allowed []string, now int64) stageindex.Stats {
	in := deptSet(allowed)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := stageindex.Stats{Departments: map[string]int{}, Tracks: map[string]int{}, Sectors: map[string]int{}}
	for _, t := range stageindex.Tracks {
		st.Tracks[string(t)] = 0
	}
	for slot, d := range ix.docs {
		h := &ix.hot[slot]
		if d == nil || !h.searchable(now) || in != nil && !in[d.dept] {
			continue
		}
		st.Offers++
		// From hot, not the stored offer: validated offers have known
		// tracks and sectors only.
		if h.has(flagRemote) {
			st.Remote++
		}
		if d.dept != "" {
			st.Departments[d.dept]++
		}
		for i, t := range stageindex.Tracks {
			if h.tracks&(1<<i) != 0 {
				st.Tracks[string(t)]++
			}
		}
		if h.sector >= 0 {
			st.Sectors[stageindex.Sectors[h.sector]]++
		}
	}
	return st
}
