package search

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

func TestClip(t *testing.T) {
	long := strings.Repeat("Au programme, accueil des clients et rangement. ", 8)
	tests := []struct {
		name       string
		segs       []stageindex.Segment
		wantPrefix string
		wantMatch  string
	}{
		{"short text unchanged", []stageindex.Segment{{Text: "Pétrir le ", Match: false}, {Text: "pain", Match: true}}, "Pétrir", "pain"},
		{"match far in: window moves to it", []stageindex.Segment{{Text: long, Match: false}, {Text: "boulangerie", Match: true}, {Text: " et fin.", Match: false}}, "…", "boulangerie"},
		{"no match: the start", []stageindex.Segment{{Text: long, Match: false}}, "Au programme", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := clip(tc.segs)
			var b strings.Builder
			matched := ""
			for _, s := range got {
				b.WriteString(s.Text)
				if s.Match {
					matched = s.Text
				}
			}
			text := b.String()
			if !strings.HasPrefix(text, tc.wantPrefix) {
				t.Errorf("excerpt %q does not start with %q", text, tc.wantPrefix)
			}
			if matched != tc.wantMatch {
				t.Errorf("matched segment %q, want %q", matched, tc.wantMatch)
			}
			if len(text) > excerptLen+10 {
				t.Errorf("excerpt of %d bytes", len(text))
			}
			if !strings.ContainsRune(text, '…') && len(text) > excerptLen {
				t.Errorf("cut without an ellipsis: %q", text)
			}
		})
	}
}

// TestTrimToWordNeverSplitsARune cuts texts of one-, two-, three- and
// four-byte runes at every byte: the tail kept must stay valid UTF-8.
func TestTrimToWordNeverSplitsARune(t *testing.T) {
	for _, text := range []string{
		strings.Repeat("abc ", 20),
		strings.Repeat("été ", 20),
		strings.Repeat("œuvre…€ ", 10),
		strings.Repeat("😀x ", 15),
	} {
		t.Run(text[:8], func(t *testing.T) {
			for n := 0; n <= len(text); n++ {
				if got := trimToWord(text[:n], false); !utf8.ValidString(got) || !strings.HasPrefix(text, got) {
					t.Fatalf("trimToWord(%q) = %q", text[:n], got)
				}
			}
		})
	}
}
