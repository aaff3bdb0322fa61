package rome

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed vocab/*.tsv
var vocabFS embed.FS

// Kinds of VocabEntry.
const (
	VocabWord    = "word"    // everyday and slang words, abbreviations
	VocabEnglish = "english" // English words and anglicisms
	VocabBrand   = "brand"   // employers and brands pupils know
	VocabIntent  = "intent"  // phrases of intent without a job word
	VocabOffer   = "offer"   // words offers of the trade use
	VocabIgnore  = "ignore"  // phrases that must not designate the fiche
)

var vocabKinds = []string{VocabWord, VocabEnglish, VocabBrand, VocabIntent, VocabOffer, VocabIgnore}

// VocabEntry is one word of the pupils' vocabulary of a fiche
// (search/rome/vocab/*.tsv, written by hand).
type VocabEntry struct {
	Fiche  string  // ROME code
	Kind   string  // one of the Vocab* kinds
	Weight float64 // in (0,1]; 0 for VocabIgnore
	Text   string
}

// Vocab returns the pupils' vocabulary of the fiches, checked against t:
// every line names a fiche of the tree, a known kind and a weight in range;
// errors name the file and line. Entries repeated within a fiche keep their
// highest weight.
func (t *Tree) Vocab() ([]VocabEntry, error) {
	files, err := fs.Glob(vocabFS, "vocab/*.tsv")
	if err != nil {
		return nil, fmt.Errorf("rome: vocab: %w", err)
	}
	slices.Sort(files)
	var out []VocabEntry
	at := map[[2]string]int{} // fiche, folded text → index in out
	for _, name := range files {
		b, err := vocabFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("rome: vocab: %w", err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			e, err := parseVocabLine(line)
			if err == nil {
				if _, ok := t.Fiche(e.Fiche); !ok {
					err = fmt.Errorf("unknown fiche %q", e.Fiche)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("rome: vocab %s line %d: %w", path.Base(name), i+1, err)
			}
			key := [2]string{e.Fiche, strings.ToLower(e.Text)}
			if j, ok := at[key]; ok {
				if e.Weight > out[j].Weight {
					out[j] = e
				}
				continue
			}
			at[key] = len(out)
			out = append(out, e)
		}
	}
	return out, nil
}

func parseVocabLine(line string) (VocabEntry, error) {
	cols := strings.Split(line, "\t")
	if len(cols) != 4 {
		return VocabEntry{}, fmt.Errorf("want 4 tab-separated columns, got %d", len(cols))
	}
	e := VocabEntry{Fiche: strings.ToUpper(strings.TrimSpace(cols[0])), Kind: strings.TrimSpace(cols[1]),
		Text: strings.Join(strings.Fields(cols[3]), " ")}
	if !slices.Contains(vocabKinds, e.Kind) {
		return e, fmt.Errorf("kind %q is not one of %s", e.Kind, strings.Join(vocabKinds, ", "))
	}
	w, err := strconv.ParseFloat(strings.TrimSpace(cols[2]), 64)
	switch {
	case err != nil:
		return e, fmt.Errorf("weight %q is not a number", cols[2])
	case e.Kind == VocabIgnore && w != 0, e.Kind != VocabIgnore && !(w > 0 && w <= 1):
		return e, fmt.Errorf("weight %v out of range for %s", w, e.Kind)
	case e.Text == "":
		return e, fmt.Errorf("empty text")
	}
	e.Weight = w
	return e, nil
}
