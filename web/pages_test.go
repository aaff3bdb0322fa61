package web

import (
	"strings"
	"testing"
)

func TestTilesURL(t *testing.T) {
	tests := []struct {
		tmpl, origin, err string
	}{
		{DefaultTilesURL, "https://data.geopf.fr", ""},
		{"http://127.0.0.1:8081/{z}/{x}/{y}.png", "http://127.0.0.1:8081", ""},
		{"https://tiles.example.org/{z}/{x}/{y}.png?key=1", "https://tiles.example.org", ""},
		{"https://{s}.tile.example.org/{z}/{x}/{y}.png", "", "subdomains"},
		{"ftp://tiles.example.org/{z}/{x}/{y}.png", "", "not an http(s) URL"},
		{"https://tiles.example.org/{z}/{x}.png", "", "lacks {y}"},
		{"/tiles/{z}/{x}/{y}.png", "", "not an http(s) URL"},
	}
	for _, tc := range tests {
		origin, err := tilesOrigin(tc.tmpl)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one saying %q", tc.tmpl, err, tc.err)
			}
			if _, err := New(Options{TilesURL: tc.tmpl}); err == nil {
				t.Errorf("New accepts the tiles URL %s", tc.tmpl)
			}
			continue
		}
		if err != nil || origin != tc.origin {
			t.Errorf("%s: origin %q, %v; want %q", tc.tmpl, origin, err, tc.origin)
		}
	}
}

func TestCleanTitle(t *testing.T) {
	tests := []struct{ title, sector, employer, want string }{
		{"MACIF Lannion - Banque et assurance - Accueil des assurés", "Banque et assurance", "MACIF Lannion", "Accueil des assurés"},
		// The platform's employer segment is longer or shorter than the name.
		{"MAIF Carnoët - Banque et assurance - Conseiller", "Banque et assurance", "MAIF", "Conseiller"},
		{"Boulangerie - Pétrir le pain", "Hôtellerie, restauration", "Boulangerie du Port", "Pétrir le pain"},
		// Case and accents do not hide a repeat.
		{"hotel de la gare - TOURISME - Réception", "Tourisme", "Hôtel de la Gare", "Réception"},
		// A dash inside the job stays; a title of repeats only stays whole.
		{"Aide-soignant - nuit", "Santé", "CHU", "Aide-soignant - nuit"},
		{"Pharmacie Morvan - Paramédical", "Paramédical", "Pharmacie Morvan", "Pharmacie Morvan - Paramédical"},
		{"Préparateur en pharmacie", "Paramédical", "Pharmacie Morvan", "Préparateur en pharmacie"},
		// A later segment that only starts like the employer is the job.
		{"Atelier - Garage Martin mécanique", "Automobile", "Garage Martin", "Atelier - Garage Martin mécanique"},
	}
	for _, tc := range tests {
		if got := CleanTitle(tc.title, tc.sector, tc.employer); got != tc.want {
			t.Errorf("CleanTitle(%q) = %q, want %q", tc.title, got, tc.want)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{weekLabel("2027-W10"), "Semaine du 8 mars 2027"},
		{weekLabel("2027-W05"), "Semaine du 1er février 2027"},
		{weekLabel("2026-W53"), "Semaine du 28 décembre 2026"},
		{weekLabel("nope"), "nope"},
		{thousands(0), "0"},
		{thousands(999), "999"},
		{thousands(1234), "1\u202f234"},
		{thousands(1234567), "1\u202f234\u202f567"},
		{cut("Pétrir, façonner et cuire le pain avec l'équipe", 20), "Pétrir, façonner et…"},
		{cut("court", 20), "court"},
		{safeURL("javascript:alert(1)"), ""},
		{safeURL("https://offres.example.org/a?b=1"), "https://offres.example.org/a?b=1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if p := paragraphs("Un.\n\n\nDeux\r\n\r\nTrois  "); strings.Join(p, "|") != "Un.|Deux|Trois" {
		t.Errorf("paragraphs %q", p)
	}
}

// TestFranceMap checks the embedded map: every département of the
// gazetteer's 101, each with a path, and Paris's ring drawn again.
func TestFranceMap(t *testing.T) {
	m, err := loadFrance()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Departments) != 101 || len(m.Paris.Departments) != 4 || len(m.Insets) != 5 {
		t.Fatalf("%d départements, %d in the Paris box, %d insets; want 101, 4, 5", len(m.Departments), len(m.Paris.Departments), len(m.Insets))
	}
	for _, d := range m.Departments {
		if !strings.HasPrefix(d.D, "M") || d.Name == "" {
			t.Errorf("département %s (%q): path %.20q", d.Code, d.Name, d.D)
		}
	}
	for _, code := range []string{"2A", "2B", "971", "976", "75"} {
		if !m.has(code) {
			t.Errorf("no %s", code)
		}
	}
	if m.name("22") != "Côtes-d'Armor" {
		t.Errorf("22 is %q", m.name("22"))
	}
}
