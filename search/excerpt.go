package search

import (
	"strings"
	"unicode/utf8"

	"github.com/stageindex/stageindex"
)

// excerptLen bounds a hit's description excerpt, in bytes: a result list
// shows two or three lines, and the whole text is one /offers/{id} away.
const excerptLen = 240

// clip cuts segments to a window of about excerptLen bytes that starts a
// little before the first match, on word boundaries, with "…" where text
// was left out.
func clip(segs []stageindex.Segment) []stageindex.Segment {
	total, first := 0, -1
	for _, s := range segs {
		if s.Match && first < 0 {
			first = total
		}
		total += len(s.Text)
	}
	if total <= excerptLen {
		return segs
	}
	start := 0
	if first > excerptLen-60 {
		start = first - 60
	}
	end := min(total, start+excerptLen)
	// In place: the i-th segment kept is written over the i-th or a
	// later one, already read (the page's arena holds them; a copy was
	// a page's largest allocation after the hits).
	out := segs[:0]
	pos := 0
	for _, s := range segs {
		a, b := max(start, pos), min(end, pos+len(s.Text))
		if a < b {
			out = append(out, stageindex.Segment{Text: s.Text[a-pos : b-pos], Match: s.Match})
		}
		pos += len(s.Text)
	}
	if start > 0 && len(out) > 0 && !out[0].Match {
		out[0].Text = "…" + trimToWord(out[0].Text, true)
	}
	if end < total && len(out) > 0 && !out[len(out)-1].Match {
		out[len(out)-1].Text = trimToWord(out[len(out)-1].Text, false) + "…"
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// trimToWord drops a partial word cut at the start (head) or the end of s,
// and never leaves half a UTF-8 character.
func trimToWord(s string, head bool) string {
	if head {
		for len(s) > 0 && !utf8.RuneStart(s[0]) {
			s = s[1:]
		}
		if i := strings.IndexByte(s, ' '); i >= 0 && i < 30 {
			return s[i+1:]
		}
		return s
	}
	// Offer texts are valid UTF-8: only the last rune can have been cut.
	if n := len(s); n > 0 {
		i := n - 1
		for i > 0 && n-i < utf8.UTFMax && !utf8.RuneStart(s[i]) {
			i--
		}
		if !utf8.FullRuneInString(s[i:]) {
			s = s[:i]
		}
	}
	if i := strings.LastIndexByte(s, ' '); i >= 0 && len(s)-i < 30 {
		return strings.TrimRight(s[:i], " ,;:.")
	}
	return s
}

// excerpt is the start of text cut to excerptLen.
func excerpt(text string) string {
	if len(text) <= excerptLen {
		return text
	}
	return trimToWord(text[:excerptLen], false) + "…"
}
