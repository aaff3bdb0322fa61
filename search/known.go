package search

import (
	"strings"

	"github.com/stageindex/stageindex"
)

// Title-word frequency above which a word of the offers' titles is a
// keyword to KnownKeyword: one offer in knownTitleShare, and at least
// knownMinTitles offers. Town names appear in titles (an employer's name,
// "Boulangerie de Brest") about ten times less often than the words that
// collide with them ("salon", "hopital", "port").
const (
	knownTitleShare = 1000
	knownMinTitles  = 3
)

// KnownKeyword reports whether word, a word or a phrase in any case and
// accents, is better read as a keyword than as a place: a job, a field or
// a word of the thesaurus ("orange", "maçon" typed "macon", "bar"), or a
// word of the titles of at least one searchable offer in a thousand
// ("salon", "mode", "port"). The API asks it before reading a town typed
// in q (docs/places.md).
func (ix *Index) KnownKeyword(word string) bool {
	if ix.thes.Known(word) {
		return true
	}
	k := stageindex.Fold(strings.TrimSpace(word))
	if k == "" || strings.ContainsAny(k, " -'") {
		return false // vocab holds single title words
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	w, ok := ix.vocab.words[k]
	return ok && w.count >= max(knownMinTitles, len(ix.byID)/knownTitleShare)
}

// KnownKeyword asks the current index; false before the first one.
func (l *Live) KnownKeyword(word string) bool {
	known := false
	l.With(func(ix *Index) error { known = ix.KnownKeyword(word); return nil })
	return known
}

// Known reports whether text is an entry of the thesaurus (a job, a field,
// an everyday word, a field's offer vocabulary) by itself, not merely a
// word of a longer entry.
func (t *Thesaurus) Known(text string) bool {
	k := t.key(text)
	if k == "" {
		return false
	}
	for _, e := range t.keys[k] {
		if e.kind != entryIgnore {
			return true
		}
	}
	return len(t.offers[k]) > 0
}
