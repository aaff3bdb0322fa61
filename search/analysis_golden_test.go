package search

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of search/testdata")

const (
	analysisWords  = "testdata/analysis-words.txt"
	analysisGolden = "testdata/analysis.golden"
)

// TestAnalysisGolden compares what both analyzers make of a few hundred
// words with the recorded output. An index built with another analysis
// would be searched with mismatched terms: any change must come with a
// MappingVersion bump (which makes every index on disk rebuild), then
// `go test ./search -run TestAnalysisGolden -update` records the new output.
func TestAnalysisGolden(t *testing.T) {
	m, err := newMapping(false)
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(analysisWords)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# analysis of %s at MappingVersion %d: input, %s terms, %s terms\n", analysisWords, MappingVersion, AnalyzerText, AnalyzerExact)
	for _, w := range strings.Split(string(in), "\n") {
		if w == "" || strings.HasPrefix(w, "#") {
			continue
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", w, strings.Join(AnalyzeTerms(m, AnalyzerText, w), " "), strings.Join(AnalyzeTerms(m, AnalyzerExact, w), " "))
	}
	got := b.String()
	if *update {
		if err := os.WriteFile(analysisGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(analysisGolden)
	if err != nil {
		t.Fatalf("%v (run with -update to record it)", err)
	}
	var version int
	fmt.Sscanf(string(want), "# analysis of "+analysisWords+" at MappingVersion %d", &version)
	if version != MappingVersion {
		t.Fatalf("%s records MappingVersion %d, the code is at %d: run go test ./search -run TestAnalysisGolden -update", analysisGolden, version, MappingVersion)
	}
	if got == string(want) {
		return
	}
	gl, wl := lines(got), lines(string(want))
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Errorf("analysis changed without a MappingVersion bump:\n got  %q\n want %q", gl[i], wl[i])
			break
		}
	}
	t.Fatalf("bump MappingVersion (search/mapping.go) so that indexes on disk are rebuilt, then record the new output with -update")
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
