package stageindex

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// foldByRunes is Fold as it was first written, rune by rune through a
// strings.Builder: the reference AppendFold's byte loop must agree with.
func foldByRunes(s string) string {
	var b strings.Builder
	space := true
	for _, r := range s {
		switch r {
		case ' ', '-', '\'', '’', '\t', '_', '\n':
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = false
		if f, ok := FoldRune(r); ok {
			b.WriteString(f)
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// TestFoldAgreesWithTheRuneLoop folds random texts of letters, accents,
// separators, other scripts and invalid bytes both ways, and through
// AppendFold after what a buffer already holds.
func TestFoldAgreesWithTheRuneLoop(t *testing.T) {
	pieces := []string{"a", "Z", "é", "É", "œ", "Œ", "ß", "ç", "ñ", "ÿ", "Ω", "日", "İ", "K", " ", "-", "'", "’", "\t", "_", "\n", ",", ".", "0", "9", "\xff", "\xc3", "\xe2\x80", "  ", "--"}
	rng := rand.New(rand.NewPCG(16, 1))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		want := foldByRunes(s)
		if got := Fold(s); got != want {
			t.Fatalf("Fold(%q) = %q, want %q", s, got, want)
		}
		if got := string(AppendFold([]byte("x "), s)); got != "x "+want {
			t.Fatalf("AppendFold(\"x \", %q) = %q, want %q", s, got, "x "+want)
		}
	}
}
