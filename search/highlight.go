package search

import "github.com/stageindex/stageindex"

// highlight cuts text into plain segments, marking the words whose analysed
// form the query asked for (literally or through the thesaurus). Offsets come
// from the analyzer's tokens, so "Boulangère" is marked for "boulanger".
func (ix *Index) highlight(text string, p *textPlan) []stageindex.Segment {
	a := ix.mapping.AnalyzerNamed(AnalyzerText)
	var segs []stageindex.Segment
	emit := func(s string, match bool) {
		if s == "" {
			return
		}
		if n := len(segs); n > 0 && segs[n-1].Match == match {
			segs[n-1].Text += s
			return
		}
		segs = append(segs, stageindex.Segment{Text: s, Match: match})
	}
	pos := 0
	if a != nil {
		for _, tok := range a.Analyze([]byte(text)) {
			if !p.highlight[string(tok.Term)] || tok.Start < pos || tok.End > len(text) {
				continue
			}
			emit(text[pos:tok.Start], false)
			emit(text[tok.Start:tok.End], true)
			pos = tok.End
		}
	}
	emit(text[pos:], false)
	if segs == nil {
		segs = []stageindex.Segment{}
	}
	return segs
}
