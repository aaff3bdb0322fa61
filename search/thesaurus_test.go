package search

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stageindex/stageindex"
)

func loadTest(t testing.TB) *Thesaurus {
	t.Helper()
	th, err := LoadThesaurus()
	if err != nil {
		t.Fatalf("LoadThesaurus: %v", err)
	}
	return th
}

// has reports whether exps holds an expansion that analyzes like text.
func has(th *Thesaurus, exps []Expansion, text string) bool {
	k := th.key(text)
	return slices.ContainsFunc(exps, func(e Expansion) bool { return th.key(e.Text) == k })
}

func TestExpand(t *testing.T) {
	th := loadTest(t)
	tests := []struct {
		q          string
		want, not  []string
		wantSector string
	}{
		{"banquier", []string{"banque", "bancaire"}, nil, "Banque et assurance"},
		{"Banquière", []string{"banque"}, []string{"banquier"}, "Banque et assurance"},
		{"argent", []string{"banque"}, []string{"argenteuil"}, "Banque et assurance"},
		{"finance", []string{"banque"}, nil, "Banque et assurance"},
		{"médecin", []string{"hôpital", "docteur", "soins"}, nil, "Médical"},
		{"soins", []string{"hôpital"}, nil, "Médical"},
		{"docteur", []string{"médecin", "hôpital"}, nil, "Médical"},
		{"santé", []string{"hôpital"}, nil, "Médical"},
		{"métiers de la santé", []string{"hôpital"}, nil, "Médical"},
		{"foot", []string{"football", "sport"}, []string{"footing", "running"}, "Sport"},
		{"football", []string{"sport", "club de football"}, []string{"footing"}, "Sport"},
		{"ordinateur", []string{"informatique"}, nil, "Informatique et réseaux"},
		{"programmation", []string{"informatique"}, nil, "Informatique et réseaux"},
		{"code", []string{"informatique"}, nil, "Informatique et réseaux"},
		{"développeur web", []string{"informatique"}, nil, "Informatique et réseaux"},
		{"soldat", []string{"armée", "militaire"}, nil, "Armée - Défense"},
		{"militaire", []string{"armée", "régiment"}, nil, "Armée - Défense"},
		{"jeux video", []string{"game design", "gaming"}, nil, "Jeu vidéo"},
		{"JEUX-VIDÉO", []string{"gaming"}, nil, "Jeu vidéo"},
		{"véto", []string{"vétérinaire", "animaux"}, nil, "Agriculture"},
		{"veterinaire", []string{"animaux", "clinique vétérinaire"}, nil, "Agriculture"},
		{"agent immobilier", []string{"agence immobilière"}, nil, "Immobilier, transactions immobilières"},
		{"boulangère", []string{"boulangerie", "pain", "fournil"}, nil, "Hôtellerie, restauration"},
		{"infirmières", []string{"hôpital", "soins"}, nil, "Médical"},
		{"coiffeuse", []string{"coiffure", "salon de coiffure"}, nil, "Mode"},
		{"pompiers", []string{"caserne", "incendie", "sapeur-pompier"}, nil, "Sécurité"},
		{"kiné", []string{"kinésithérapie"}, nil, "Paramédical"},
		{"sage-femme", []string{"hôpital"}, nil, "Médical"},
		{"l'hôpital", []string{"soins", "médecin"}, nil, "Médical"},
		{"stage informatique", []string{"programmation", "développeur"}, nil, "Informatique et réseaux"},
		{"animaux", []string{"vétérinaire", "zoo"}, nil, "Agriculture"},
		{"bateau", []string{"chantier naval"}, nil, "Construction aéronautique, ferroviaire et navale"},
		{"avion", []string{"aéronautique", "aéroport"}, nil, "Construction aéronautique, ferroviaire et navale"},
		{"mécanicien avion", []string{"aéronautique"}, []string{"garage"}, "Construction aéronautique, ferroviaire et navale"},
		{"mécanicien", []string{"garage"}, []string{"aéronautique"}, "Automobile"},
		{"voiture", []string{"garage", "automobile"}, nil, "Automobile"},
		{"crèche", []string{"petite enfance"}, nil, "Social"},
		{"théâtre", []string{"spectacle"}, nil, "Arts du spectacle"},
		{"robotique", []string{"électronique"}, nil, "Électronique"},
		{"couture", []string{"mode", "vêtements"}, nil, "Mode"},
		{"mode", []string{"couture", "vêtements"}, nil, "Mode"},
		{"poste", []string{"courrier", "facteur"}, nil, "Services postaux"},
		{"facteur", []string{"la poste", "courrier"}, nil, "Services postaux"},
		{"hôtel", []string{"hôtellerie", "réception"}, []string{"mairie"}, "Tourisme"},
		{"hôtel de ville", []string{"mairie"}, []string{"hôtellerie", "réception"}, "Administration publique"},
		{"clinique vétérinaire", []string{"animaux"}, []string{"hôpital"}, "Agriculture"},
		{"crédit agricole", []string{"banque"}, []string{"agriculture", "ferme"}, "Banque et assurance"},
		{"police d'assurance", []string{"assureur", "sinistres"}, []string{"gendarmerie", "commissariat"}, "Banque et assurance"},
		{"police", []string{"gendarmerie", "commissariat"}, []string{"assurance"}, "Sécurité"},
		{"biologie marine", []string{"recherche"}, []string{"armée", "marine nationale"}, "Recherche"},
		{"serveur", []string{"restaurant"}, []string{"informatique"}, "Hôtellerie, restauration"},
		{"avocat", []string{"tribunal", "justice"}, nil, "Droit et justice"},
		{"peintre", []string{"bâtiment", "chantier"}, nil, "Bâtiment et travaux publics (BTP)"},
		{"artiste peintre", []string{"art et design"}, []string{"chantier"}, "Art et design"},
		{"esthéticienne", []string{"institut de beauté"}, nil, "Bien-être"},
		{"prof de sport", []string{"club", "professeur d'eps"}, []string{"école"}, "Sport"},
		{"professeur", []string{"école", "enseignement"}, nil, "Enseignement"},
		{"maîtresse", []string{"école"}, nil, "Enseignement"},
		// Offer words other trades use in another sense: the electrician's
		// "prises" are the film crew's "prises de vue", the restaurant's
		// "salle" the vet's "salle de soins", the museum's "œuvres" the
		// builder's "gros œuvre".
		{"électricien", []string{"prises électriques"}, []string{"prises"}, "Énergie"},
		{"serveuse", []string{"service en salle"}, []string{"salle"}, "Hôtellerie, restauration"},
		{"musée", []string{"œuvres d'art"}, []string{"œuvres"}, "Culture et patrimoine"},
		{"médecin", []string{"soins"}, []string{"clinique"}, "Médical"},
		// …but a pupil who types "clinique" still reaches the hospitals.
		{"clinique", []string{"hôpital", "soins"}, nil, "Médical"},
		{"foot", []string{"entraînement sportif"}, []string{"entraînement"}, "Sport"},
		{"mécanicien", []string{"entretien des véhicules"}, []string{"véhicules"}, "Automobile"},
		{"maison à vendre", []string{"agence immobilière"}, []string{"commerce", "vente"}, "Immobilier, transactions immobilières"},
		{"réparer des voitures", []string{"garage"}, nil, "Automobile"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got := th.Expand(tc.q)
			for _, w := range tc.want {
				if !has(th, got, w) {
					t.Errorf("Expand(%q) lacks %q; got %v", tc.q, w, got)
				}
			}
			for _, n := range tc.not {
				if has(th, got, n) {
					t.Errorf("Expand(%q) has false friend %q; got %v", tc.q, n, got)
				}
			}
			if s := th.Sectors(tc.q); !slices.Contains(s, tc.wantSector) {
				t.Errorf("Sectors(%q) = %q, want it to hold %q", tc.q, s, tc.wantSector)
			}
		})
	}
}

// TestFalseFriends lists what must expand to nothing, or must not reach a field.
// TestFalseFriends reviews the hand-written file's false-friend policy
// (docs/thesaurus.md); ROME's vocabulary may give these phrases a trade of
// their own (a technical writer writes modes d'emploi), with ignore lines
// of its own for its false friends.
func TestFalseFriends(t *testing.T) {
	th, err := ParseThesaurus(thesaurusFile)
	if err != nil {
		t.Fatal(err)
	}
	empty := []string{
		"Argenteuil", "verte", "banc", "mode d'emploi", "Mode d’emploi",
		"poste de travail", "postes à pourvoir", "four à bois", "code postal",
		"recherche d'emploi", "chef de projet", "", "   ", "le la les de", "zzzz", "stage de 3e",
	}
	for _, q := range empty {
		if got := th.Expand(q); len(got) != 0 {
			t.Errorf("Expand(%q) = %v, want nothing", q, got)
		}
		if got := th.Sectors(q); len(got) != 0 {
			t.Errorf("Sectors(%q) = %q, want nothing", q, got)
		}
	}
	// Words that analyze alike would silently merge two meanings.
	apart := [][2]string{
		{"argent", "Argenteuil"}, {"vente", "verte"}, {"vente", "vent"}, {"banque", "banc"},
		{"foot", "footing"}, {"poste", "post"}, {"mode", "mod"}, {"boulanger", "boulangerie"},
		{"armée", "arme"}, {"maïs", "mai"}, {"bien-être", "biens"},
	}
	for _, p := range apart {
		if th.key(p[0]) == th.key(p[1]) {
			t.Errorf("%q and %q analyze alike (%q)", p[0], p[1], th.key(p[0]))
		}
	}
	// No expansion of a field reaches a look-alike word.
	for q, bad := range map[string]string{"argent": "argenteuil", "vente": "vert", "banque": "banc", "foot": "footing", "menuisier": "four"} {
		for _, e := range th.Expand(q) {
			for _, w := range th.analyze(e.Text) {
				if w == bad {
					t.Errorf("Expand(%q) has %q, which holds %q", q, e.Text, bad)
				}
			}
		}
	}
}

func TestExpandInvariants(t *testing.T) {
	th := loadTest(t)
	for _, term := range th.Terms() {
		exps := th.Expand(term.Text)
		if term.Kind != KindWord && term.ROME == "" && len(exps) == 0 { // a ROME title reaches its fiche directly
			t.Errorf("%s %q expands to nothing", term.Kind, term.Text)
		}
		if len(exps) > 2*MaxExpansions {
			t.Errorf("Expand(%q) returned %d > %d", term.Text, len(exps), MaxExpansions)
		}
		if len(th.Sectors(term.Text)) == 0 {
			t.Errorf("%s %q designates no sector", term.Kind, term.Text)
		}
		seen := map[string]bool{}
		for i, e := range exps {
			k := th.key(e.Text)
			switch {
			case k == "":
				t.Errorf("Expand(%q)[%d] %q analyzes to nothing", term.Text, i, e.Text)
			case k == th.key(term.Text):
				t.Errorf("Expand(%q) returns the query itself", term.Text)
			case seen[k]:
				t.Errorf("Expand(%q) returns %q twice", term.Text, e.Text)
			case !(e.Weight > 0 && e.Weight <= 1):
				t.Errorf("Expand(%q) %q has weight %v", term.Text, e.Text, e.Weight)
			case i > 0 && e.Weight > exps[i-1].Weight:
				t.Errorf("Expand(%q) not sorted by weight at %d", term.Text, i)
			}
			seen[k] = true
		}
	}
}

func TestCoverage(t *testing.T) {
	th := loadTest(t)
	covered := map[string]bool{}
	for _, f := range th.fields {
		for _, s := range f.sectors {
			covered[s] = true
		}
	}
	for _, s := range stageindex.Sectors {
		if !covered[s] {
			t.Errorf("sector %q has no field", s)
		}
	}
	jobs := 0
	for _, f := range th.fields {
		jobs += len(f.jobs)
	}
	if jobs < 150 {
		t.Errorf("%d jobs, want at least 150", jobs)
	}
	t.Logf("%d fields, %d jobs, %d terms", len(th.fields), jobs, len(th.Terms()))
}

func TestTerms(t *testing.T) {
	th := loadTest(t)
	terms := th.Terms()
	find := func(text string) (Term, bool) {
		i := slices.IndexFunc(terms, func(x Term) bool { return x.Text == text })
		if i < 0 {
			return Term{}, false
		}
		return terms[i], true
	}
	for _, want := range []Term{
		{Text: "banquier", Kind: KindJob, Field: "banque", Popularity: 5},
		{Text: "banque", Kind: KindField, Field: "banque", Popularity: 5},
		{Text: "argent", Kind: KindWord, Field: "banque", Popularity: 1},
		{Text: "fournil", Kind: KindWord, Field: "boulangerie", Popularity: 0},
		{Text: "véto", Kind: KindJob, Field: "clinique vétérinaire", Popularity: 5},
	} {
		got, ok := find(want.Text)
		if !ok || got != want {
			t.Errorf("term %q = %+v (found %v), want %+v", want.Text, got, ok, want)
		}
	}
	terms[0].Text = "mutated"
	if th.Terms()[0].Text == "mutated" {
		t.Error("Terms returns the thesaurus' own slice")
	}
}

func TestParseErrors(t *testing.T) {
	const ok = "field: banque | Banque et assurance\noffers: bancaire\n"
	tests := []struct{ name, file, want string }{
		{"empty file", "# nothing\n", "no field"},
		{"unknown sector", "field: banque | Finance\noffers: bancaire\n", `unknown sector "Finance"`},
		{"entry before field", "job: banquier\n" + ok, "line 1"},
		{"duplicate job", ok + "job: banquier\njob: banquiers\n", "line 4"},
		{"job duplicates field", ok + "job: banque\n", "duplicates"},
		{"empty item", ok + "job: banquier, , trader\n", "empty entry"},
		{"empty list", ok + "word:\n", "empty entry"},
		{"stop words only", ok + "word: le de la\n", "only stop words"},
		{"bad weight", ok + "word [w=1.5]: argent\n", "weight"},
		{"zero weight", ok + "word [w=0]: argent\n", "weight"},
		{"bad popularity", ok + "job [pop=x]: banquier\n", "popularity"},
		{"unknown keyword", ok + "synonym: argent\n", "unknown keyword"},
		{"no colon", ok + "banquier\n", "line 3"},
		{"unknown see", ok + "see: finance\n", `unknown field "finance"`},
		{"self see", ok + "see: banque\n", "sees itself"},
		{"field without offers", "field: banque | Banque et assurance\n", "no offers"},
		{"field without sector", "field: banque\noffers: bancaire\n", "field line"},
		{"offers twice", ok + "offers: bancaire\n", "listed twice"},
		{"unclosed bracket", ok + "word [w=0.5: argent\n", "[ ]"},
		{"ignore duplicates word", ok + "word: argent\nignore: argent\n", "duplicates"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseThesaurus([]byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := ParseThesaurus([]byte(ok + "word [w=0.5]: argent # money\nsee: banque2\nfield: banque2 | banque et ASSURANCE\noffers: crédit\n")); err != nil {
		t.Errorf("valid file: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	th := loadTest(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, q := range []string{"banquier", "jeux vidéo", "foot", "hôtel de ville"} {
				if len(th.Expand(q)) == 0 || len(th.Sectors(q)) == 0 {
					t.Errorf("%q: nothing", q)
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkExpand(b *testing.B) {
	th := loadTest(b)
	for b.Loop() {
		th.Expand("je veux être agent immobilier ou banquière")
	}
}

// BenchmarkLoadThesaurus builds the embedded thesaurus and its ROME
// model, as every process start does (LoadThesaurus keeps the first).
func BenchmarkLoadThesaurus(b *testing.B) {
	for b.Loop() {
		if _, err := loadThesaurus(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchCorpusRecall measures, on the shared bench corpus, how many
// offers of the right job family a query reaches with and without its
// expansions (an offer is reached when it holds the query's or an
// expansion's terms in sequence). It guards against a thesaurus edit that
// loses recall or floods results; it skips when the corpus is absent.
func TestBenchCorpusRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	f, err := os.Open("../../shared/bench/offers-100k.jsonl.gz")
	if err != nil {
		t.Skipf("bench corpus: %v", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	m := newTestMapping(t)
	th := loadTest(t)
	type doc struct{ text, family string }
	var docs []doc
	total := map[string]int{}
	dec := json.NewDecoder(gz)
	for len(docs) < 20000 {
		var o struct {
			Title, Description string
			Family             string `json:"x_metier"`
		}
		if err := dec.Decode(&o); err != nil {
			break
		}
		docs = append(docs, doc{" " + strings.Join(AnalyzeTerms(m, AnalyzerText, o.Title+" . "+o.Description), " ") + " ", o.Family})
		total[o.Family]++
	}
	queries := map[string]string{
		"banquier": "banque", "argent": "banque", "finance": "banque", "médecin": "hopital", "infirmière": "hopital",
		"métiers de la santé": "hopital", "voiture": "garage", "mécanicien": "garage", "soldat": "armee", "foot": "sport",
		"véto": "veterinaire", "animaux": "veterinaire", "ordinateur": "informatique", "développeur web": "informatique",
		"game designer": "jeu_video", "jeux video": "jeu_video", "boulanger": "boulangerie", "pâtissier": "patisserie",
		"boucher": "boucherie", "fleuriste": "fleuriste", "coiffeuse": "coiffure", "pompier": "pompiers", "police": "gendarmerie",
		"facteur": "poste", "avocat": "droit", "juge": "droit", "comptable": "comptabilite", "assureur": "assurance",
		"agent immobilier": "immobilier", "maçon": "btp", "plombier": "plomberie", "électricien": "electricite",
		"menuisier": "menuiserie", "jardinier": "paysage", "agriculteur": "agriculture", "cuisinier": "restauration",
		"réceptionniste": "hotellerie", "vendeur": "commerce", "journaliste": "journalisme", "cameraman": "audiovisuel",
		"acteur": "spectacle", "musée": "culture", "bibliothécaire": "bibliotheque", "traducteur": "traduction",
		"professeur": "enseignement", "éducateur": "social", "chauffeur": "logistique", "pilote": "aeronautique",
		"électronicien": "electronique", "chimiste": "chimie", "chercheur": "recherche", "styliste": "mode",
		"graphiste": "communication", "pharmacien": "pharmacie", "technicien de maintenance": "maintenance",
		"potier": "artisanat_art", "ferme": "agriculture", "mairie": "mairie", "tourisme": "hotellerie",
	}
	phrase := func(s string) string { return " " + strings.Join(AnalyzeTerms(m, AnalyzerText, s), " ") + " " }
	var recall, recall0, precision float64
	for q, family := range queries {
		phrases := []string{phrase(q)}
		for _, e := range th.Expand(q) {
			if e.Weight >= 0.5 {
				phrases = append(phrases, phrase(e.Text))
			}
		}
		hits, good, good0 := 0, 0, 0
		for _, d := range docs {
			if strings.Contains(d.text, phrases[0]) && d.family == family {
				good0++
			}
			if slices.ContainsFunc(phrases, func(p string) bool { return strings.Contains(d.text, p) }) {
				hits++
				if d.family == family {
					good++
				}
			}
		}
		recall += float64(good) / float64(total[family])
		recall0 += float64(good0) / float64(total[family])
		if hits > 0 {
			precision += float64(good) / float64(hits)
		}
	}
	n := float64(len(queries))
	t.Logf("%d queries on %d offers: recall %.3f (query alone %.3f), precision of the unranked union %.3f",
		len(queries), len(docs), recall/n, recall0/n, precision/n)
	if recall/n < 0.9 || precision/n < 0.55 {
		t.Errorf("recall %.3f (want ≥ 0.9), precision %.3f (want ≥ 0.55)", recall/n, precision/n)
	}
}

func TestLinkedSectors(t *testing.T) {
	th, err := ParseThesaurus(thesaurusFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q         string
		want, not []string
	}{
		{"guide", []string{"Culture et patrimoine"}, []string{"Tourisme"}},                       // tourisme links to musée
		{"banquier", nil, []string{"Banque et assurance"}},                                       // assurance shares the bank's own sector
		{"xyzzy", nil, []string{"Tourisme", "Culture et patrimoine", "Administration publique"}}, // names no field
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got := th.LinkedSectors(tc.q)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("LinkedSectors(%q) = %q, lacks %q", tc.q, got, w)
				}
			}
			for _, n := range tc.not {
				if slices.Contains(got, n) {
					t.Errorf("LinkedSectors(%q) = %q, has %q", tc.q, got, n)
				}
			}
		})
	}
}
