package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// findCSV looks for the ROME extract: $ROME_CSV, else shared/rome/ in the
// directories above the repository (../shared from the main checkout,
// ../../shared from a worktree).
func findCSV(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ROME_CSV"); p != "" {
		return p
	}
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", "rome", "ROME_Arbo_20231127.csv")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			t.Skip("ROME_Arbo_20231127.csv not found (set ROME_CSV)")
		}
	}
}

// TestGeneratedUpToDate regenerates the tree from the CSV and compares it
// with the embedded file: the file is the generator's output, and the
// generator reads every title of the extract confidently.
func TestGeneratedUpToDate(t *testing.T) {
	f, err := os.Open(findCSV(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tree, err := parseCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	text, stats := tree.encode()
	if n := stats[splitLiteral]; n != 0 {
		for _, a := range tree.appellations {
			if a.kind == splitLiteral {
				t.Errorf("not split: %q", a.title)
			}
		}
	}
	if len(tree.grands) != 14 || len(tree.domaines) != 110 || len(tree.fiches) != 551 || len(tree.appellations) != 11254 {
		t.Errorf("%d grands domaines, %d domaines, %d fiches, %d titles", len(tree.grands), len(tree.domaines), len(tree.fiches), len(tree.appellations))
	}
	again, _ := tree.encode()
	if !bytes.Equal(text, again) {
		t.Error("encode is not deterministic")
	}
	gz, err := os.ReadFile("../../search/rome/data/rome.tsv.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(text, embedded) {
		t.Error("search/rome/data/rome.tsv.gz is stale: run make romedata")
	}
}

func TestParseCSVErrors(t *testing.T) {
	const header = "craft_field;craft;detailed_craft;name;Code OGR\n"
	const ok = "A; ; ;Agriculture; \nA;11; ;Engins; \nA;11;1;Conduite d'engins; \nA;11;1;Chauffeur / Chauffeuse;11987\n"
	if _, err := parseCSV(strings.NewReader(header + ok)); err != nil {
		t.Fatalf("valid CSV: %v", err)
	}
	tests := []struct{ name, csv, want string }{
		{"empty", "", "read header"},
		{"bad header", "a;b;c;d;e\n" + ok, "unexpected header"},
		{"four columns", header + "A; ; ;Agriculture\n", "wrong number of fields"},
		{"domaine first", header + "A;11; ;Engins; \n", "out of place"},
		{"fiche under another domaine", header + "A; ; ;Agriculture; \nA;11; ;Engins; \nA;12;1;Conduite; \n", "out of place"},
		{"title under no fiche", header + "A; ; ;Agriculture; \nA;11; ;Engins; \nA;11;1;Chauffeur;11987\n", "out of place"},
		{"bad OGR", header + ok + "A;11;1;Conducteur;x12\n", "bad OGR"},
		{"OGR twice", header + ok + "A;11;1;Conducteur;11987\n", "OGR code 11987 twice"},
		{"code twice", header + ok + "A;11; ;Engins; \n", "code A11 twice"},
		{"empty name", header + "A; ; ; ; \n", "empty name"},
		{"two letters", header + "AB; ; ;Agriculture; \n", "not one letter"},
		{"blank fields", header + ok + " ; ;1;x; \n", "unexpected columns"},
		{"no titles", header + "A; ; ;Agriculture; \n", "empty tree"},
	}
	for _, tt := range tests {
		_, err := parseCSV(strings.NewReader(tt.csv))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}
