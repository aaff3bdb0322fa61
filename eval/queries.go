package eval

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Families are the 50 x_metier job families of the benchmark corpus. A label
// outside this list is a typo in queries.tsv.
var Families = []string{
	"aeronautique", "agriculture", "armee", "artisanat_art", "assurance", "audiovisuel",
	"banque", "bibliotheque", "boucherie", "boulangerie", "btp", "chimie", "coiffure",
	"commerce", "communication", "comptabilite", "culture", "droit", "electricite",
	"electronique", "enseignement", "environnement", "fleuriste", "garage", "gendarmerie",
	"hopital", "hotellerie", "immobilier", "industrie_alimentaire", "informatique",
	"jeu_video", "journalisme", "logistique", "maintenance", "mairie", "menuiserie", "mode",
	"patisserie", "paysage", "pharmacie", "plomberie", "pompiers", "poste", "recherche",
	"restauration", "social", "spectacle", "sport", "traduction", "veterinaire",
}

// Kinds are the query kinds of the query files, in report order: those of
// queries.tsv, then those of the blind ROME sets (eval/rome).
var Kinds = []string{"job", "variant", "typo", "everyday", "field", "multi", "employer",
	"phrase", "brand", "english", "ambiguous"}

// Query is one labelled pupil query: what a pupil types and the job
// families that answer the pupil's intent.
type Query struct {
	Text     string
	Families []string
	Kind     string
	Line     int
}

// Wants reports whether an offer of family answers q.
func (q Query) Wants(family string) bool { return slices.Contains(q.Families, family) }

// LoadQueries reads a labelled query file (see ParseQueries); families,
// when not nil, are the valid labels (those of the corpus) instead of the
// 50 x_metier Families.
func LoadQueries(path string, families []string) ([]Query, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: queries: %w", err)
	}
	defer f.Close()
	return ParseQueriesOf(f, families)
}

// ParseQueries reads tab-separated lines "query, families, kind", families
// comma-separated; blank lines and lines starting with # are comments.
// Every problem is an error naming its line: a mislabelled query would
// silently skew the figures.
func ParseQueries(r io.Reader) ([]Query, error) { return ParseQueriesOf(r, nil) }

// ParseQueriesOf is ParseQueries with families as the valid labels (nil:
// Families).
func ParseQueriesOf(r io.Reader, families []string) ([]Query, error) {
	if families == nil {
		families = Families
	}
	var qs []Query
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			return nil, fmt.Errorf("eval: queries line %d: want 3 tab-separated columns, got %d", n, len(cols))
		}
		q := Query{Text: strings.TrimSpace(cols[0]), Kind: strings.TrimSpace(cols[2]), Line: n}
		if q.Text == "" {
			return nil, fmt.Errorf("eval: queries line %d: empty query", n)
		}
		if prev, ok := seen[q.Text]; ok {
			return nil, fmt.Errorf("eval: queries line %d: %q already on line %d", n, q.Text, prev)
		}
		seen[q.Text] = n
		if !slices.Contains(Kinds, q.Kind) {
			return nil, fmt.Errorf("eval: queries line %d: kind %q is not one of %s", n, q.Kind, strings.Join(Kinds, ", "))
		}
		for _, f := range strings.Split(cols[1], ",") {
			f = strings.TrimSpace(f)
			if !slices.Contains(families, f) {
				return nil, fmt.Errorf("eval: queries line %d: %q is not a family of the corpus", n, f)
			}
			if slices.Contains(q.Families, f) {
				return nil, fmt.Errorf("eval: queries line %d: family %q twice", n, f)
			}
			q.Families = append(q.Families, f)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: queries: %w", err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("eval: queries: no query")
	}
	return qs, nil
}
